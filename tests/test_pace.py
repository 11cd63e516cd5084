"""The busy process's ask for fewer, fuller messages (controller/pace.py), alone."""

from __future__ import annotations

import pytest

from controller.pace import MAX_PACE_MS, PHONE_RATE, PaceMeter, pace_ms


@pytest.mark.parametrize("senders", [0, 1, 10, 50])
def test_no_ask_while_every_phone_fits_at_its_own_pace(senders):
    assert pace_ms(senders, budget=50 * PHONE_RATE) is None


def test_no_ask_without_a_budget():
    assert pace_ms(10_000, budget=0) is None


def test_the_ask_keeps_the_crowd_within_the_budget_in_10_ms_steps():
    budget = 1500
    for senders in (51, 60, 100, 200, 300):
        pace = pace_ms(senders, budget)
        assert pace is not None and pace % 10 == 0
        assert senders * 1000 / pace <= budget  # within the budget...
        assert senders * 1000 / (pace - 10) > budget or pace - 10 < 1000 / PHONE_RATE  # ...tightly


def test_the_ask_is_capped_so_strokes_stay_smooth():
    assert pace_ms(100_000, budget=1500) == MAX_PACE_MS


def test_the_meter_asks_as_soon_as_the_crowd_outgrows_the_budget():
    meter = PaceMeter(budget=60, window=1.0)
    meter.heard("d_0", 10.0)
    meter.heard("d_1", 10.1)
    assert meter.pace is None  # two phones at 30 a second fit in 60
    meter.heard("d_2", 10.2)
    assert meter.pace == 50  # the third, mid-window: 60 a second for 3, one each 50 ms
    meter.heard("d_3", 10.3)
    assert meter.pace == 70  # 4 phones in 60 a second: one message each 66.7 ms


def test_the_meter_lowers_its_ask_only_when_a_window_ends_and_stops_after_a_quiet_spell():
    meter = PaceMeter(budget=60, window=1.0)
    for n in range(4):
        meter.heard(f"d_{n}", 10.0 + n * 0.1)
    assert meter.pace == 70
    for _ in range(50):
        meter.heard("d_0", 10.9)  # one phone, however many messages, is one sender
    assert meter.pace == 70
    meter.heard("d_0", 11.05)
    assert meter.pace == 70  # the window of four ended: its ask holds for the next
    meter.heard("d_0", 12.1)
    assert meter.pace is None  # the window 11.05-12.05 had one phone
    for n in range(4):
        meter.heard(f"d_{n}", 12.5)
    meter.heard("d_0", 20.0)  # the crowd of 12.1-13.1 left long ago
    assert meter.pace is None
