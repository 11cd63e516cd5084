"""Parse and validate what a phone sends.

`parse_message` takes whatever arrived on the socket and returns one message
object or raises `ProtocolError` carrying a stable code (docs/protocol.md). It never
raises anything else, whatever the input: that is tested with hypothesis.
The codes follow one rule (docs/protocol.md, "Validation"): a required field missing
or null is `bad_shape` (an optional one that is null counts as absent), a field of
the wrong JSON type is `bad_type`, a number out of its range is `bad_number`, except
x/y outside 0..1 (`bad_point`) and the value-specific `bad_color` / `bad_width`.
Exhibit-dependent checks (palette, brush sizes, points cap) take their limits as
arguments so this module stays free of Django.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import orjson

Point = tuple[float, float] | tuple[float, float, float]

MAX_SEQ = 2**53  # what a JavaScript number holds exactly
CLIENT_RE = re.compile(r"[A-Za-z0-9_-]{8,32}")
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")


class ProtocolError(Exception):
    """A message that cannot be handled; `code` is stable and documented."""

    def __init__(self, code: str, detail: str = "", seq: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Hello:
    client: str
    last_seq: int


@dataclass(frozen=True, slots=True)
class StrokeStart:
    seq: int
    stroke: int
    color: str
    width: float
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class StrokePoints:
    seq: int
    stroke: int
    points: tuple[Point, ...]
    # The stroke's style, repeated on the first message of an open stroke on a new
    # connection, so a process that never saw its `start` can continue it. Both or neither.
    color: str | None = None
    width: float | None = None


@dataclass(frozen=True, slots=True)
class StrokeEnd:
    seq: int
    stroke: int
    points: tuple[Point, ...]
    color: str | None = None  # as on StrokePoints
    width: float | None = None


@dataclass(frozen=True, slots=True)
class Ping:
    seq: int


@dataclass(frozen=True, slots=True)
class Undo:
    """Take back one of this client's own strokes (its number, as on `start`)."""

    seq: int
    stroke: int


Message = Hello | StrokeStart | StrokePoints | StrokeEnd | Ping | Undo
StrokeMessage = StrokeStart | StrokePoints | StrokeEnd


@dataclass(frozen=True, slots=True)
class Limits:
    """The exhibit's rules a message is checked against."""

    max_points: int = 64
    palette: frozenset[str] | None = None  # None: any #rrggbb
    brushes: frozenset[float] | None = None  # None: any width in (0, MAX_WIDTH]


MAX_WIDTH = 0.1
DEFAULT_LIMITS = Limits()


def parse_message(
    text: str | None = None, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS
) -> Message:
    """Turn one WebSocket frame into a message, or raise ProtocolError."""
    if text is None:
        raise ProtocolError("binary_frame", "only text frames are accepted")
    try:
        raw = orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        raise ProtocolError("bad_json", "not valid JSON") from None
    if not isinstance(raw, dict):
        raise ProtocolError("bad_shape", "a message is a JSON object")
    kind = raw.get("type")
    if kind == "hello":
        return _parse_hello(raw)
    if kind not in ("start", "points", "end", "ping", "undo"):
        raise ProtocolError("bad_shape", "unknown message type")
    seq = _integer(raw, "seq", 1, MAX_SEQ)
    try:
        if kind == "ping":
            return Ping(seq=seq)
        stroke = _integer(raw, "stroke", 0, MAX_SEQ)
        if kind == "undo":
            return Undo(seq=seq, stroke=stroke)
        if kind == "start":
            return StrokeStart(
                seq=seq,
                stroke=stroke,
                color=_color(raw, limits),
                width=_width(raw, limits),
                points=_points(raw, limits, minimum=1),
            )
        color, width = _style(raw, limits)
        if kind == "points":
            return StrokePoints(seq, stroke, _points(raw, limits, minimum=1), color, width)
        return StrokeEnd(seq, stroke, _points(raw, limits, minimum=0), color, width)
    except ProtocolError as error:
        error.seq = seq
        raise


def _parse_hello(raw: dict) -> Hello:
    client = _string(raw, "client")
    if not CLIENT_RE.fullmatch(client):
        raise ProtocolError("bad_shape", "client must be 8-32 characters of A-Z a-z 0-9 _ -")
    last_seq = _integer(raw, "last_seq", 0, MAX_SEQ) if raw.get("last_seq") is not None else 0
    return Hello(client=client, last_seq=last_seq)


def _integer(raw: dict, name: str, low: int, high: int) -> int:
    value = raw.get(name)
    if value is None:
        raise ProtocolError("bad_shape", f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float):
            raise ProtocolError("bad_number", f"{name} must be a whole number")
        raise ProtocolError("bad_type", f"{name} must be a number")
    if not low <= value <= high:
        raise ProtocolError("bad_number", f"{name} out of range")
    return value


def _string(raw: dict, name: str) -> str:
    value = raw.get(name)
    if value is None:
        raise ProtocolError("bad_shape", f"{name} is required")
    if not isinstance(value, str):
        raise ProtocolError("bad_type", f"{name} must be a string")
    return value


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError("bad_type", f"{what} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise ProtocolError("bad_number", f"{what} must be finite")
    return number


def _style(raw: dict, limits: Limits) -> tuple[str | None, float | None]:
    """The optional colour and width of `points`/`end`: both, or neither."""
    has_color, has_width = raw.get("color") is not None, raw.get("width") is not None
    if not has_color and not has_width:
        return None, None
    if has_color != has_width:
        raise ProtocolError("bad_shape", "color and width come together, or not at all")
    return _color(raw, limits), _width(raw, limits)


def _color(raw: dict, limits: Limits) -> str:
    color = _string(raw, "color")
    if not COLOR_RE.fullmatch(color):
        raise ProtocolError("bad_color", "colour must be #rrggbb")
    color = color.lower()
    if limits.palette is not None and color not in limits.palette:
        raise ProtocolError("bad_color", "colour is not in the exhibit's palette")
    return color


def _width(raw: dict, limits: Limits) -> float:
    width = raw.get("width")
    if width is None:
        raise ProtocolError("bad_shape", "width is required")
    width = _number(width, "width")
    if not 0 < width <= MAX_WIDTH:
        raise ProtocolError("bad_number", f"width must be in (0, {MAX_WIDTH}]")
    if limits.brushes is not None and not any(abs(width - b) < 1e-9 for b in limits.brushes):
        raise ProtocolError("bad_width", "width is not one of the exhibit's brush sizes")
    return width


def _points(raw: dict, limits: Limits, minimum: int) -> tuple[Point, ...]:
    points = raw.get("points")
    if type(points) is not list:
        if points is not None:
            raise ProtocolError("bad_type", "points must be a list")
        if minimum:
            raise ProtocolError("bad_shape", "points is required")
        return ()  # `end` without points
    if len(points) > limits.max_points:
        raise ProtocolError("too_many_points", f"at most {limits.max_points} points a message")
    if len(points) < minimum:
        raise ProtocolError("bad_shape", f"at least {minimum} point required")
    return tuple([_point(p) for p in points])


def _point(point: object) -> Point:
    # The hot path of every message: the common [x, y] of floats in range, checked
    # with exact types and no loop; anything else goes the careful way.
    if type(point) is list and len(point) == 2:
        x, y = point
        if type(x) is float and type(y) is float and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0:
            return (_four_decimals(x), _four_decimals(y))
    return _point_checked(point)


def _four_decimals(v: float) -> float:
    # Four decimals is a tenth of a pixel on a 4K wall; rounding keeps frames small.
    # For 0..1 this is round(v, 4), in half the time.
    return int(v * 10000.0 + 0.5) / 10000.0


def _point_checked(point: object) -> Point:
    if type(point) is not list or not 2 <= len(point) <= 3:
        raise ProtocolError("bad_point", "a point is [x, y] or [x, y, pressure]")
    values: list[float] = []
    for v in point:
        if type(v) is not float:
            v = _number(v, "coordinate")
        if not 0.0 <= v <= 1.0:
            # Which value was it? x and y are 0 and 1, pressure is 2.
            if not math.isfinite(v):
                raise ProtocolError("bad_number", "coordinate must be finite")
            if len(values) == 2:
                raise ProtocolError("bad_number", "pressure outside 0..1")
            raise ProtocolError("bad_point", "coordinate outside 0..1")
        values.append(_four_decimals(v))
    return tuple(values)  # type: ignore[return-value]
