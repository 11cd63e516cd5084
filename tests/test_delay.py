"""The museum-safe delay as a plain data structure, with a test clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projector.delay import DelayQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_items_wait_for_the_delay_then_go_in_order():
    clock = Clock()
    queue = DelayQueue(20, clock=clock)
    queue.hold("d_alice", "a1")
    clock.now += 5
    queue.hold("d_bob", "b1")
    queue.hold("d_alice", "a2")
    assert queue.release() == [] and len(queue) == 3
    clock.now += 14.999
    assert queue.release() == []
    clock.now += 0.001  # 20 s after a1
    assert queue.release() == ["a1"]
    assert queue.next_due() == 1025.0
    clock.now = 1025.0
    assert queue.release() == ["b1", "a2"]
    assert len(queue) == 0 and queue.next_due() is None and queue.devices() == {}


def test_removing_a_phone_takes_only_its_items_before_anyone_sees_them():
    clock = Clock()
    queue = DelayQueue(20, clock=clock)
    for i in range(3):
        queue.hold("d_alice", f"a{i}")
        queue.hold("d_bob", f"b{i}")
    assert queue.devices() == {"d_alice": 3, "d_bob": 3}
    assert queue.remove_device("d_alice") == ["a0", "a1", "a2"]
    assert queue.remove_device("d_alice") == []
    assert queue.remove_device("d_nobody") == []
    clock.now += 20
    assert queue.release() == ["b0", "b1", "b2"]


def test_remove_by_stroke_and_pending_for_the_console():
    clock = Clock()
    queue = DelayQueue(10, clock=clock)
    queue.hold("d_alice", {"stroke": "k:1", "seq": 1})
    clock.now += 4
    queue.hold("d_alice", {"stroke": "k:2", "seq": 2})
    pending = queue.pending()
    assert [round(left, 3) for _, left in pending] == [6.0, 10.0]
    assert pending[0][0].device == "d_alice"
    removed = queue.remove(lambda held: held.item["stroke"] == "k:1")
    assert removed == [{"stroke": "k:1", "seq": 1}] and queue.devices() == {"d_alice": 1}


def test_changing_the_delay_applies_to_what_is_held():
    clock = Clock()
    queue = DelayQueue(30, clock=clock)
    queue.hold("d", "x")
    clock.now += 10
    assert queue.release() == []
    queue.set_delay(5)
    assert queue.release() == ["x"]
    queue.set_delay(0)
    queue.hold("d", "y")
    assert queue.release() == ["y"], "no delay: straight through"
    with pytest.raises(ValueError):
        queue.set_delay(-1)
    with pytest.raises(ValueError):
        DelayQueue(-1)


def test_a_full_queue_refuses_rather_than_shows_early():
    queue = DelayQueue(20, capacity=2, clock=Clock())
    assert queue.hold("d", 1) and queue.hold("d", 2)
    assert not queue.hold("d", 3)
    assert queue.refused == 1 and len(queue) == 2 and queue.release() == []


def test_a_clock_that_steps_back_keeps_the_order():
    queue = DelayQueue(10)
    queue.hold("d", "first", now=100.0)
    queue.hold("d", "second", now=99.0)
    assert queue.release(now=109.5) == []
    assert queue.release(now=110.0) == ["first", "second"]


def test_clear_on_reset():
    queue = DelayQueue(10, clock=Clock())
    queue.hold("d", 1)
    queue.hold("e", 2)
    assert queue.clear() == [1, 2] and len(queue) == 0 and queue.devices() == {}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["hold", "release", "remove"]),
            st.sampled_from(["a", "b", "c"]),
            st.floats(0, 5),
        ),
        max_size=60,
    )
)
def test_nothing_goes_early_nothing_removed_goes_everything_else_goes_once(steps):
    delay = 3.0
    now = 0.0
    queue: DelayQueue[tuple[str, int, float]] = DelayQueue(delay)
    released: list[tuple[str, int, float]] = []
    removed: set[tuple[str, int, float]] = set()
    held: list[tuple[str, int, float]] = []
    for n, (action, device, step) in enumerate(steps):
        now += step
        if action == "hold":
            item = (device, n, now)
            assert queue.hold(device, item, now=now)
            held.append(item)
        elif action == "release":
            out = queue.release(now=now)
            for item in out:
                assert item[2] + delay <= now, "released early"
            released += out
        else:
            removed.update(queue.remove_device(device))
    released += queue.release(now=now + delay)
    assert not removed & set(released), "a removed item reached the wall"
    assert sorted(released + list(removed)) == sorted(held), "each exactly once"
    assert released == sorted(released, key=lambda item: item[1]), "in order"
