"""core.storage.sqlite_time formats a second once and reuses it: its text must be what
datetime gives, rounding and all, or rows would sort and compare wrongly."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from core.storage import sqlite_time


def reference(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat(" ")


def test_the_same_text_as_datetime_for_every_kind_of_instant():
    base = 1_795_749_000.0
    rng = random.Random(7)
    instants = sorted(base + rng.random() * 5 for _ in range(20_000))  # a flush's rows
    instants += [base + k for k in range(5)]  # whole seconds: no fraction printed
    instants += [base + k + 0.9999995 for k in range(5)]  # rounds up into the next second
    instants += [base + k + 0.0000005 for k in range(5)]  # a tie, rounded to even
    instants += [rng.uniform(0, 4e9) for _ in range(2_000)]  # any second, out of order
    assert [sqlite_time(t) for t in instants] == [reference(t) for t in instants]
