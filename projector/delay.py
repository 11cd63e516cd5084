"""The museum-safe delay: accepted strokes wait here for `delay` seconds before they
may reach the wall, and the curator can take a phone's strokes out before anyone
sees them. A pure data structure: no clock of its own (the caller passes `now`, or a
clock is injected), no I/O, no asyncio; one per server process, in front of the
Mixer. Not wired in yet (docs/notes/curator.md, "The museum-safe delay").

Items are released in the order they were held. The delay is read at release time,
so lowering it lets held items go sooner and raising it holds them longer; a delay
of 0 passes everything straight through on the next release. When the queue is
full, `hold` refuses (returns False): the safe failure is to drop a stroke, never to
show it early.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_CAPACITY = 200_000  # segments: 200 phones x 30 a second x 30 s is 180,000


@dataclass(frozen=True, slots=True)
class Held(Generic[T]):
    """One held item: when it was accepted, whose it is, and the item."""

    accepted: float
    device: str
    item: T

    def due(self, delay: float) -> float:
        return self.accepted + delay


class DelayQueue(Generic[T]):
    """Items held for `delay` seconds after they were accepted, releasable in order,
    removable by device (or by any predicate) while they wait."""

    def __init__(
        self,
        delay: float,
        *,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if delay < 0:
            raise ValueError("the delay cannot be negative")
        if capacity < 1:
            raise ValueError("the capacity must be at least 1")
        self.delay = float(delay)
        self.capacity = capacity
        self.clock = clock
        self._held: deque[Held[T]] = deque()
        self._per_device: Counter[str] = Counter()
        self.refused = 0  # items refused because the queue was full

    def __len__(self) -> int:
        return len(self._held)

    def __iter__(self) -> Iterator[Held[T]]:
        return iter(self._held)

    def set_delay(self, delay: float) -> None:
        """A new delay (the curator changed it); applies to what is held already."""
        if delay < 0:
            raise ValueError("the delay cannot be negative")
        self.delay = float(delay)

    def hold(self, device: str, item: T, now: float | None = None) -> bool:
        """Hold an accepted item; False (and nothing held) when the queue is full."""
        if len(self._held) >= self.capacity:
            self.refused += 1
            return False
        now = self.clock() if now is None else now
        if self._held and now < self._held[-1].accepted:
            now = self._held[-1].accepted  # a clock that stepped back: keep the order
        self._held.append(Held(now, device, item))
        self._per_device[device] += 1
        return True

    def release(self, now: float | None = None) -> list[T]:
        """Every item whose delay has passed at `now`, in the order they were held."""
        now = self.clock() if now is None else now
        out: list[T] = []
        held, delay = self._held, self.delay
        while held and held[0].accepted + delay <= now:
            entry = held.popleft()
            self._forget(entry.device)
            out.append(entry.item)
        return out

    def remove_device(self, device: str) -> list[T]:
        """Take every held item of one phone out (the curator removed or blocked it);
        returns them, in order, so the caller can store them as removed."""
        if not self._per_device.get(device):
            return []
        return self.remove(lambda entry: entry.device == device)

    def remove(self, predicate: Callable[[Held[T]], bool]) -> list[T]:
        """Take out every held item the predicate picks (e.g. one stroke)."""
        kept: deque[Held[T]] = deque()
        removed: list[T] = []
        for entry in self._held:
            if predicate(entry):
                removed.append(entry.item)
                self._forget(entry.device)
            else:
                kept.append(entry)
        self._held = kept
        return removed

    def clear(self) -> list[T]:
        """Drop everything held (a reset: the new sheet starts empty)."""
        removed = [entry.item for entry in self._held]
        self._held.clear()
        self._per_device.clear()
        return removed

    def next_due(self) -> float | None:
        """When the oldest held item may go (None if nothing is held)."""
        return self._held[0].accepted + self.delay if self._held else None

    def pending(self, now: float | None = None) -> list[tuple[Held[T], float]]:
        """What waits, with the seconds left for each (for the curator's console)."""
        now = self.clock() if now is None else now
        return [(entry, max(0.0, entry.accepted + self.delay - now)) for entry in self._held]

    def devices(self) -> dict[str, int]:
        """Held items per phone."""
        return dict(self._per_device)

    def _forget(self, device: str) -> None:
        left = self._per_device[device] - 1
        if left > 0:
            self._per_device[device] = left
        else:
            del self._per_device[device]
