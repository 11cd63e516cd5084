"""A fair share of the wall: max-min allocation and shape-keeping thinning."""

import math

from hypothesis import given
from hypothesis import strategies as st

from core.frames import AcceptedSegment
from projector.fairshare import allocate, evenly, thin
from projector.mixer import share_budget


def test_everyone_gets_all_when_the_budget_suffices():
    assert allocate([3, 5, 2], 100) == [3, 5, 2]


def test_small_asks_are_kept_and_the_rest_share_equally():
    assert allocate([10, 100, 1000], 210) == [10, 100, 100]
    assert allocate([50, 50, 50], 90) == [30, 30, 30]


def test_a_flooder_cannot_take_more_than_its_share():
    shares = allocate([10_000, 20, 20], 100)
    assert shares == [60, 20, 20]


@given(st.lists(st.integers(0, 500), max_size=30), st.integers(0, 3000))
def test_allocation_is_max_min_fair(demands, budget):
    shares = allocate(demands, budget)
    assert all(0 <= s <= d for s, d in zip(shares, demands, strict=True))
    assert sum(shares) == min(budget, sum(demands))
    # Nobody unsatisfied gets less than anyone else (up to the rounding point).
    unsatisfied = [s for s, d in zip(shares, demands, strict=True) if s < d]
    if unsatisfied:
        assert max(shares) - min(unsatisfied) <= 1


def test_thinning_keeps_the_corners_and_the_ends():
    line = [(0.0, 0.0), (0.1, 0.0001), (0.2, 0.0), (0.3, 0.0), (0.3, 0.3), (0.31, 0.6), (0.3, 0.9)]
    kept = thin(line, 3)
    assert kept[0] == line[0] and kept[-1] == line[-1]
    assert (0.3, 0.0) in kept, "the corner adds most to the shape"


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=60), st.integers(0, 70))
def test_thinning_keeps_order_and_count(points, keep):
    kept = thin(points, keep)
    assert len(kept) == min(len(points), max(keep, 0))
    indexes = [points.index(p) for p in kept]
    assert indexes == sorted(indexes) or len(set(points)) < len(points)
    if kept:
        assert kept[-1] == points[-1]


def segment(device, n, seq=1):
    pts = [(i / 100, math.sin(i) / 4 + 0.5) for i in range(n)]
    return AcceptedSegment(device, device + "c", seq, 1, "#ffffff", 0.01, pts, False, False, 0.0)


@given(st.integers(0, 300), st.integers(0, 50))
def test_an_even_cut_keeps_order_the_count_and_the_last_point(length, count):
    points = list(range(length))
    cut = evenly(points, count)
    assert len(cut) == min(length, count)
    assert cut == sorted(set(cut))  # in order, none twice
    if cut:
        assert cut[-1] == points[-1]
    if length > count > 1:
        # Spread over the whole line, not bunched at its start.
        assert cut[-2] >= length * (count - 2) // count


def test_share_budget_thins_only_those_over_their_share():
    segments = [segment("flood", 60), segment("a", 10), segment("b", 10)]
    out = share_budget(segments, 50)
    counts = {s.device: len(s.points) for s in out}
    assert counts == {"flood": 30, "a": 10, "b": 10}
    assert [s.key for s in out] == [s.key for s in segments], "no segment is dropped"


def test_four_processes_share_one_wall_budget_fairly_per_phone():
    from projector.fairshare import process_budgets

    loads = {"busy": (50, 3000), "some": (10, 600), "few": (2, 40), "idle": (0, 0)}
    shares = process_budgets(loads, 2000)
    assert sum(shares.values()) <= 2000, "the wall gets its budget whatever W is"
    assert shares["few"] == 40 and shares["idle"] == 0, "a small ask is met in full"
    per_phone = {o: shares[o] / loads[o][0] for o in ("busy", "some")}
    assert abs(per_phone["busy"] - per_phone["some"]) <= 1, per_phone
    assert sum(shares.values()) >= 2000 - 2, "what the quiet ones leave goes to the busy"
    roomy = process_budgets(loads, 10_000)
    assert roomy == {"busy": 3000, "some": 600, "few": 40, "idle": 0}
