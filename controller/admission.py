"""Phones drawing at once: up to `capacity` devices draw, the rest wait in line
and are let in, in order, as places free."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

ACTIVE_SECONDS = 5.0  # a phone that drew this recently counts as "drawing now"
IDLE_SECONDS = 30.0  # an admitted phone idle this long yields its place to the line


class Admission:
    """Admits by device: a phone's second tab shares its place, not a new one."""

    def __init__(self, capacity: int, clock=time.monotonic) -> None:
        self.capacity = capacity
        self.clock = clock
        self._admitted: dict[str, set[Any]] = {}
        self._waiting: OrderedDict[Any, str] = OrderedDict()  # session -> device
        self._last_drew: dict[str, float] = {}

    def join(self, session: Any, device: str) -> int:
        """0 if the session may draw now, else its place in the line (1 is next)."""
        if device in self._admitted or len(self._admitted) < self.capacity:
            self._admitted.setdefault(device, set()).add(session)
            self._last_drew.setdefault(device, self.clock())  # idle counts from joining
            return 0
        self._waiting[session] = device
        return self.position(session)

    def leave(self, session: Any, device: str) -> None:
        self._waiting.pop(session, None)
        sessions = self._admitted.get(device)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._admitted[device]
                self._last_drew.pop(device, None)

    def admitted(self, session: Any, device: str) -> bool:
        return session in self._admitted.get(device, ())

    def position(self, session: Any) -> int:
        for place, waiting in enumerate(self._waiting, start=1):
            if waiting is session:
                return place
        return 0

    def promote(self) -> list[Any]:
        """Let waiting sessions in while there is room; returns those let in."""
        let_in = []
        while self._waiting:
            session, device = next(iter(self._waiting.items()))
            if device not in self._admitted and len(self._admitted) >= self.capacity:
                break
            del self._waiting[session]
            self._admitted.setdefault(device, set()).add(session)
            let_in.append(session)
        return let_in

    def yield_idle(self, idle_seconds: float = IDLE_SECONDS) -> list[Any]:
        """While phones wait, admitted phones idle too long go to the back of the line;
        returns their sessions (call `promote` next to let the line in)."""
        if not self._waiting:
            return []
        cutoff = self.clock() - idle_seconds
        idle = [d for d in self._admitted if self._last_drew.get(d, cutoff) <= cutoff]
        moved = []
        for device in idle[: len(self._waiting)]:
            for session in self._admitted.pop(device):
                self._waiting[session] = device
                moved.append(session)
            self._last_drew.pop(device, None)
        return moved

    def waiting(self) -> list[tuple[Any, int]]:
        return [(session, place) for place, session in enumerate(self._waiting, start=1)]

    def touch(self, device: str) -> None:
        self._last_drew[device] = self.clock()

    def drawing_count(self) -> int:
        cutoff = self.clock() - ACTIVE_SECONDS
        return sum(1 for t in self._last_drew.values() if t >= cutoff)
