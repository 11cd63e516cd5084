"""The phones' view of the wall as plain code (projector.view): coarse points, a
fair point budget, pieces that join across intervals, and a best-effort send."""

from __future__ import annotations

import json
from types import SimpleNamespace

from controller.consumers import VIEW_SKIP_BYTES, ControllerConsumer
from core.frames import AcceptedSegment
from projector.view import (
    GRID,
    TURN_POINTS,
    VIEW_POINTS,
    VIEW_POINTS_MIN,
    ViewCollector,
    coarse,
    view_budget,
    view_snapshot,
)


def segment(device: str, seq: int, points, stroke: int = 1, start: bool = False):
    return AcceptedSegment(
        device, f"c_{device}", seq, stroke, "#ff3366", 0.006, points, start, False, 0.0
    )


def test_coarse_points_sit_on_the_grid_and_keep_the_end():
    line = [[0.1 + i * GRID / 4, 0.5, 0.7] for i in range(9)]
    kept = coarse(line)
    assert kept[0] == [0.1, 0.5] and kept[-1] == [round(line[-1][0], 3), 0.5]
    assert all(len(p) == 2 for p in kept), "no pressure"
    assert len(kept) == 3, "closer than the grid: dropped, but the last point stays"
    assert coarse([[0.12345, 0.98765]]) == [[0.123, 0.988]]


def test_a_view_is_built_once_and_only_when_something_was_drawn():
    view = ViewCollector()
    assert view.take(4) is None
    view.add([segment("a", 1, [[0.1, 0.1], [0.2, 0.2]], start=True)])
    message = json.loads(view.take(4))
    assert message == {
        "type": "view",
        "sheet": 4,
        "strokes": [
            {
                "stroke": "c_a:1",
                "color": "#ff3366",
                "width": 0.006,
                "points": [[0.1, 0.1], [0.2, 0.2]],
            }
        ],
    }
    assert view.take(4) is None and view.built == 1


def test_a_stroke_goes_on_from_where_the_last_view_left_it():
    view = ViewCollector()
    view.add([segment("a", 1, [[0.1, 0.1], [0.2, 0.2]], start=True)])
    view.take(1)
    view.add([segment("a", 2, [[0.3, 0.3]])])
    assert json.loads(view.take(1))["strokes"][0]["points"] == [[0.2, 0.2], [0.3, 0.3]]


def test_the_budget_is_shared_fairly_per_phone():
    view = ViewCollector(budget=40)
    busy = [[0.01 * i, 0.2 + 0.1 * (i % 2)] for i in range(90)]  # a zigzag: no point spare
    view.add([segment("busy", 1, busy, start=True)])
    view.add([segment("quiet", 1, [[0.5, 0.5], [0.6, 0.6], [0.7, 0.5]], start=True)])
    strokes = json.loads(view.take(1))["strokes"]
    counts = [len(s["points"]) for s in strokes]
    assert sum(counts) <= 40
    assert counts[1] == 3, "a phone asking less than its share keeps it all"
    assert strokes[0]["points"][-1] == [0.89, 0.3], "a thinned stroke still ends where it did"


def test_a_crowd_gets_smaller_views_and_a_left_out_piece_is_bridged():
    assert view_budget(1) == VIEW_POINTS and view_budget(0) == VIEW_POINTS
    assert view_budget(1000) < view_budget(200) < VIEW_POINTS
    assert view_budget(1_000_000) == VIEW_POINTS_MIN
    view = ViewCollector()
    view.add([segment("a", 1, [[0.1, 0.1], [0.2, 0.2]], start=True)])
    view.take(1)  # sent: the stroke so far ends at 0.2
    view.add([segment("a", 2, [[0.3, 0.3], [0.4, 0.4], [0.5, 0.5]])])
    assert view.take(1, budget=1) is None, "a share under two points: left out"
    view.add([segment("a", 3, [[0.6, 0.6]])])
    assert json.loads(view.take(1))["strokes"][0]["points"] == [[0.2, 0.2], [0.6, 0.6]]


def test_a_crowd_too_big_for_the_budget_takes_turns():
    view = ViewCollector()
    shown: list[set[str]] = []
    for round_ in range(3):
        view.add([
            segment(f"p{i}", round_ + 1, [[0.01 * i, 0.1 * round_ + 0.01 * k] for k in range(12)],
                    start=round_ == 0)
            for i in range(30)
        ])  # fmt: skip
        strokes = json.loads(view.take(1, budget=10 * TURN_POINTS))["strokes"]
        assert all(len(s["points"]) >= TURN_POINTS for s in strokes), "enough to read as lines"
        shown.append({s["stroke"] for s in strokes})
    assert [len(devices) for devices in shown] == [10, 10, 10]
    assert len(set.union(*shown)) == 30, "every phone had its turn in three views"
    # A phone's stroke shown again after waiting starts afresh: no line across its gap.
    view.add([segment("p0", 4, [[0.5, 0.5], [0.5, 0.6]])])
    (stroke,) = json.loads(view.take(1))["strokes"]
    assert stroke["points"][0] == [0.5, 0.5]


def test_removed_and_reset_strokes_never_leave():
    view = ViewCollector()
    view.add([segment("a", 1, [[0.1, 0.1]], start=True), segment("b", 1, [[0.9, 0.9]])])
    view.forget("a")
    assert [s["points"] for s in json.loads(view.take(1))["strokes"]] == [[[0.9, 0.9]]]
    view.add([segment("b", 2, [[0.8, 0.8]])])
    view.clear()
    assert view.take(2) is None


def test_a_stroke_taken_back_never_leaves_and_others_carry_their_keys():
    view = ViewCollector()
    view.add([segment("a", 1, [[0.1, 0.1]], stroke=4, start=True)])
    view.add([segment("a", 2, [[0.2, 0.2]], stroke=5, start=True)])
    view.forget_stroke("c_a:4")
    strokes = json.loads(view.take(1))["strokes"]
    assert [(s["stroke"], s["points"]) for s in strokes] == [("c_a:5", [[0.2, 0.2]])]


def test_the_snapshot_is_coarse_and_within_its_budget():
    strokes = [
        {
            "stroke": f"c{i}:1",
            "device": f"d{i}",
            "color": "#00ff00",
            "width": 0.012,
            "segments": [{"points": [[0.001 * j, 0.5 + 0.1 * (j % 2)] for j in range(500)]}],
        }
        for i in range(10)
    ]
    coarse_strokes = view_snapshot(strokes, budget=1000)
    assert len(coarse_strokes) == 10
    assert sum(len(s["points"]) for s in coarse_strokes) <= 1000
    assert all(s.keys() == {"stroke", "color", "width", "points"} for s in coarse_strokes)


class FakeOutlet:
    def __init__(self, queued: int) -> None:
        self.queued_bytes = queued
        self.put_texts: list[str] = []

    def put(self, text: str) -> bool:
        self.put_texts.append(text)
        return True


def phone(queued: int, client: str | None = "k3J9a0Qm") -> SimpleNamespace:
    return SimpleNamespace(
        session=SimpleNamespace(client=client),
        registered=True,
        outlet=FakeOutlet(queued),
        views_skipped=0,
    )


def test_a_backed_up_phone_skips_a_view_and_a_phone_before_welcome_gets_none():
    ready, backed_up, new = phone(0), phone(VIEW_SKIP_BYTES + 1), phone(0, client=None)
    for connection in (ready, backed_up, new):
        ControllerConsumer.view(connection, '{"type":"view"}')  # type: ignore[arg-type]
    assert ready.outlet.put_texts == ['{"type":"view"}']
    assert backed_up.outlet.put_texts == [] and backed_up.views_skipped == 1
    assert new.outlet.put_texts == []
