"""The phone message parser: valid messages in, messages out; anything else, a stable code."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.messages import (
    DEFAULT_LIMITS,
    Hello,
    Limits,
    Ping,
    ProtocolError,
    StrokeEnd,
    StrokePoints,
    StrokeStart,
    parse_message,
)

CODES = {
    "bad_json", "bad_shape", "bad_type", "bad_number", "bad_point", "bad_color", "bad_width",
    "too_many_points", "binary_frame",
}  # fmt: skip


def parse(obj, limits=DEFAULT_LIMITS):
    return parse_message(json.dumps(obj), limits=limits)


def code_of(text=None, data=None, limits=DEFAULT_LIMITS) -> str:
    with pytest.raises(ProtocolError) as error:
        parse_message(text, data, limits)
    return error.value.code


def test_hello_and_stroke_messages_parse():
    assert parse({"type": "hello", "client": "abcdefgh"}) == Hello("abcdefgh", 0)
    start = parse(
        {"type": "start", "seq": 1, "stroke": 1, "color": "#FF0066", "width": 0.006,
         "points": [[0.1, 0.2], [0.3, 0.4, 0.5]]}
    )  # fmt: skip
    assert start == StrokeStart(1, 1, "#ff0066", 0.006, ((0.1, 0.2), (0.3, 0.4, 0.5)))
    assert parse({"type": "points", "seq": 2, "stroke": 1, "points": [[1, 0]]}) == StrokePoints(
        2, 1, ((1.0, 0.0),)
    )
    assert parse({"type": "end", "seq": 3, "stroke": 1}) == StrokeEnd(3, 1, ())
    assert parse({"type": "ping", "seq": 4}) == Ping(4)


def test_coordinates_are_rounded_to_a_tenth_of_a_4k_pixel():
    message = parse({"type": "points", "seq": 1, "stroke": 1, "points": [[0.123456, 0.5]]})
    assert message.points == ((0.1235, 0.5),)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", "bad_json"),
        ("[1, 2]", "bad_shape"),
        ('{"type": "dance"}', "bad_shape"),
        ('{"type": "points", "stroke": 1, "points": [[0, 0]]}', "bad_shape"),
        ('{"type": "points", "seq": "1", "stroke": 1, "points": [[0, 0]]}', "bad_type"),
        ('{"type": "points", "seq": 1.5, "stroke": 1, "points": [[0, 0]]}', "bad_number"),
        ('{"type": "points", "seq": -1, "stroke": 1, "points": [[0, 0]]}', "bad_number"),
        ('{"type": "points", "seq": 1e300, "stroke": 1, "points": [[0, 0]]}', "bad_number"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[NaN, 0]]}', "bad_json"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[Infinity, 0]]}', "bad_json"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[-Infinity, 0]]}', "bad_json"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[1e999, 0]]}', "bad_json"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[0.5, 0.5, 1.5]]}', "bad_number"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[0.5, 0.5, -0.1]]}', "bad_number"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[0.5, 1.5, 0.5]]}', "bad_point"),
        ('{"seq": 1, "stroke": 1, "points": [[0, 0]]}', "bad_shape"),
        ('{"type": "ping", "seq": null}', "bad_shape"),
        ('{"type": "ping", "seq": true}', "bad_type"),
        ('{"type": "points", "seq": 1, "points": [[0, 0]]}', "bad_shape"),
        ('{"type": "points", "seq": 1, "stroke": "1", "points": [[0, 0]]}', "bad_type"),
        ('{"type": "points", "seq": 1, "stroke": 1}', "bad_shape"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": null}', "bad_shape"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [5]}', "bad_point"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[0, 0, 0, 0]]}', "bad_point"),
        ('{"type": "start", "seq": 1, "stroke": 1, "width": 0.01, "points": [[0, 0]]}',
         "bad_shape"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": null, "width": 0.01, '
         '"points": [[0, 0]]}', "bad_shape"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": 123, "width": 0.01, '
         '"points": [[0, 0]]}', "bad_type"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": "#ff0066", "points": [[0, 0]]}',
         "bad_shape"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": "#ff0066", "width": "big", '
         '"points": [[0, 0]]}', "bad_type"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": "#ff0066", "width": 0, '
         '"points": [[0, 0]]}', "bad_number"),
        ('{"type": "points", "seq": 1, "stroke": 1, "color": "#ff0066", "points": [[0, 0]]}',
         "bad_shape"),
        ('{"type": "end", "seq": 1, "stroke": 1, "width": 0.01}', "bad_shape"),
        ('{"type": "points", "seq": 1, "stroke": 1, "color": "red", "width": 0.01, '
         '"points": [[0, 0]]}', "bad_color"),
        ('{"type": "end", "seq": 1, "stroke": 1, "color": "#ff0066", "width": 7}', "bad_number"),
        ('{"type": "hello"}', "bad_shape"),
        ('{"type": "hello", "client": null}', "bad_shape"),
        ('{"type": "hello", "client": "abcdefgh", "last_seq": -1}', "bad_number"),
        ('{"type": "hello", "client": "abcdefgh", "last_seq": "0"}', "bad_type"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[1.5, 0]]}', "bad_point"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[-0.1, 0]]}', "bad_point"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[0]]}', "bad_point"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[0, "a"]]}', "bad_type"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": [[true, 0]]}', "bad_type"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": "x"}', "bad_type"),
        ('{"type": "points", "seq": 1, "stroke": 1, "points": []}', "bad_shape"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": "red", "width": 0.01, '
         '"points": [[0, 0]]}', "bad_color"),
        ('{"type": "start", "seq": 1, "stroke": 1, "color": "#ff0066", "width": 5, '
         '"points": [[0, 0]]}', "bad_number"),
        ('{"type": "hello", "client": "short"}', "bad_shape"),
        ('{"type": "hello", "client": 12345678}', "bad_type"),
    ],
)  # fmt: skip
def test_bad_messages_get_their_stable_code(text, code):
    assert code_of(text) == code


def test_points_and_end_may_carry_the_strokes_style():
    style = {"color": "#FF0066", "width": 0.006}
    points = parse({"type": "points", "seq": 2, "stroke": 1, "points": [[0, 0]], **style})
    assert points == StrokePoints(2, 1, ((0.0, 0.0),), "#ff0066", 0.006)
    end = parse({"type": "end", "seq": 3, "stroke": 1, **style})
    assert end == StrokeEnd(3, 1, (), "#ff0066", 0.006)
    bare = parse({"type": "end", "seq": 4, "stroke": 1, "points": None, "color": None})
    assert bare == StrokeEnd(4, 1, ()), "an optional field that is null is absent"
    limits = Limits(palette=frozenset({"#ff0066"}), brushes=frozenset({0.01}))
    message = {"type": "points", "seq": 5, "stroke": 1, "points": [[0, 0]]}
    assert code_of(json.dumps({**message, **style}), limits=limits) == "bad_width"
    other = {"color": "#00ff00", "width": 0.01}
    assert code_of(json.dumps({**message, **other}), limits=limits) == "bad_color"


def test_hello_last_seq_is_optional():
    assert parse({"type": "hello", "client": "abcdefgh", "last_seq": None}) == Hello("abcdefgh", 0)
    assert parse({"type": "hello", "client": "abcdefgh", "last_seq": 9}) == Hello("abcdefgh", 9)


def test_binary_frames_are_refused():
    assert code_of(None, b"\x00\x01") == "binary_frame"


def test_exhibit_limits_apply():
    limits = Limits(max_points=2, palette=frozenset({"#ff0066"}), brushes=frozenset({0.01}))
    base = {"type": "start", "seq": 1, "stroke": 1, "points": [[0, 0]]}
    assert code_of(json.dumps({**base, "color": "#00ff00", "width": 0.01}), limits=limits) == (
        "bad_color"
    )
    assert code_of(json.dumps({**base, "color": "#ff0066", "width": 0.02}), limits=limits) == (
        "bad_width"
    )
    many = {**base, "color": "#ff0066", "width": 0.01, "points": [[0, 0]] * 3}
    assert code_of(json.dumps(many), limits=limits) == "too_many_points"
    assert parse({**base, "color": "#FF0066", "width": 0.01}, limits).color == "#ff0066"


def test_errors_after_the_seq_carry_it_so_the_phone_can_drop_that_message():
    with pytest.raises(ProtocolError) as error:
        parse_message('{"type": "points", "seq": 7, "stroke": 1, "points": [[2, 2]]}')
    assert error.value.seq == 7


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["type", "seq", "stroke", "points", "color", "width",
                                       "client", "last_seq"]) | st.text(max_size=5),
                      children, max_size=6),
    max_leaves=30,
)  # fmt: skip
message_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "start", "points", "end", "ping", "x"])},
    optional={
        "seq": st.integers(-5, 2**60) | st.floats() | st.text(max_size=3),
        "stroke": st.integers(-5, 2**60) | st.floats(),
        "color": st.sampled_from(["#ff0066", "#FFF", "red", ""]) | st.text(max_size=8),
        "width": st.floats() | st.integers(),
        "points": st.lists(st.lists(st.floats() | st.integers(), max_size=4), max_size=70),
        "client": st.text(max_size=40),
    },
)


@settings(max_examples=300)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_text_gives_a_message_or_a_stable_error(text):
    try:
        parse_message(text)
    except ProtocolError as error:
        assert error.code in CODES


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_any_bytes_are_refused_with_a_stable_error(data):
    with pytest.raises(ProtocolError) as error:
        parse_message(None, data)
    assert error.value.code == "binary_frame"


@settings(max_examples=500)
@given(json_values | message_like)
def test_any_json_gives_a_message_or_a_stable_error(value):
    text = json.dumps(value, allow_nan=True)
    try:
        message = parse_message(text)
    except ProtocolError as error:
        assert error.code in CODES
        return
    for point in getattr(message, "points", ()):
        assert all(0.0 <= v <= 1.0 for v in point)
    if isinstance(message, StrokePoints | StrokeEnd):
        assert (message.color is None) == (message.width is None)
