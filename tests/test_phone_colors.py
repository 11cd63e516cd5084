"""The visitor's own colour (controller/colors.py)."""

from dataclasses import dataclass

import pytest

from controller.colors import color_pick

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


@dataclass(eq=False)
class Phone:
    """What the runtime reads of a connected phone to choose colours."""

    device: str
    color: str


@pytest.mark.django_db(transaction=True)
async def test_the_runtime_suggests_a_colour_nobody_here_draws_in(runtime):
    palette = list(runtime.exhibit.palette)
    drawing = Phone(device="d_1", color=palette[0])
    welcomed = Phone(device="d_2", color=palette[1])
    for phone in (drawing, welcomed):
        runtime.register(phone)
    for device in ("d_3", "d_4", "d_5"):
        assert runtime.color_for(device) not in palette[:2]
    assert runtime.color_for("d_2", excluding=welcomed) != palette[0]
