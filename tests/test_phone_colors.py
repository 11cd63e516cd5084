"""The visitor's own colour (controller/colors.py)."""

from types import SimpleNamespace

from controller.colors import color_pick, colors_in_use

PALETTE = ["#aa0000", "#00aa00", "#0000aa"]


def test_a_free_colour_is_picked_while_there_is_one():
    taken = []
    for device in ("d_1", "d_2", "d_3"):
        taken.append(color_pick(PALETTE, taken, device))
    assert sorted(taken) == sorted(PALETTE)


def test_when_all_are_taken_the_least_used_is_picked():
    assert color_pick(PALETTE, ["#AA0000", "#aa0000", "#00aa00", "#0000aa"], "d_x") != "#aa0000"
    assert color_pick(PALETTE, [], "d_same") == color_pick(PALETTE, [], "d_same")
    assert color_pick([], [], "d_x") is None


def test_colours_in_use_are_those_drawn_now_or_welcomed_with():
    drawing = SimpleNamespace(session=SimpleNamespace(client="c1", color="#aa0000"))
    idle = SimpleNamespace(session=SimpleNamespace(client="c2", color="#00aa00"))
    me = SimpleNamespace(session=SimpleNamespace(client="c3", color=None))
    runtime = SimpleNamespace(
        phones={"d1": [drawing], "d2": [idle], "d3": [me]},
        strokes={"c1": {7: ("#0000aa", 0.006)}},
    )
    assert sorted(colors_in_use(runtime, excluding=me.session)) == ["#0000aa", "#00aa00"]
