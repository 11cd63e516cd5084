"""Per-phone ink: a token bucket of points, kept per device so reconnecting or a
second tab does not refill it."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass(slots=True)
class InkBucket:
    """Holds up to `burst` points and refills at `rate` points a second."""

    rate: float
    burst: float
    level: float
    updated: float

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.burst, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def try_spend(self, points: int, now: float) -> bool:
        """Spend `points` if all of them are there; a segment is never half drawn."""
        self.refill(now)
        if points <= self.level:
            self.level -= points
            return True
        return False

    def retune(self, rate: float, burst: float, now: float) -> None:
        self.refill(now)
        self.rate, self.burst = rate, burst
        self.level = min(self.level, burst)


@dataclass
class InkLedger:
    """Every device's bucket in this process, forgetting the longest-idle full ones."""

    rate: float
    burst: float
    clock: Clock = time.monotonic
    max_devices: int = 100_000
    _buckets: OrderedDict[str, InkBucket] = field(default_factory=OrderedDict)

    def bucket(self, device: str) -> InkBucket:
        bucket = self._buckets.get(device)
        now = self.clock()
        if bucket is None:
            bucket = InkBucket(self.rate, self.burst, self.burst, now)
            self._buckets[device] = bucket
            if len(self._buckets) > self.max_devices:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(device)
        return bucket

    def spend(self, device: str, points: int) -> tuple[bool, float]:
        """Charge a device for a segment; returns (accepted, ink level after)."""
        bucket = self.bucket(device)
        accepted = bucket.try_spend(points, self.clock())
        return accepted, bucket.level

    def level(self, device: str) -> float:
        bucket = self.bucket(device)
        bucket.refill(self.clock())
        return bucket.level

    def retune(self, rate: float, burst: float) -> None:
        """Apply new limits to every bucket (the curator changed them live)."""
        self.rate, self.burst = rate, burst
        now = self.clock()
        for bucket in self._buckets.values():
            bucket.retune(rate, burst, now)


@dataclass(slots=True)
class MessageRate:
    """A fixed one-second window counting messages, for the messages-per-second cap."""

    limit: int
    window_start: float = 0.0
    count: int = 0

    def allow(self, now: float) -> bool:
        if now - self.window_start >= 1.0:
            self.window_start, self.count = now, 0
        self.count += 1
        return self.count <= self.limit
