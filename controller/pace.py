"""Fewer, fuller messages when a process is busy.

Each message costs the server about the same whatever it holds (framing, dispatch,
parsing, the session's checks), so when more phones draw than a process's message
budget allows at a phone's own pace (about 30 a second), the process asks every phone
to send less often and gather the points meanwhile: the same points reach the wall in
fewer messages. The ask rides on acks as `pace` (ms between messages); docs/protocol.md.
"""

from __future__ import annotations

import math

PHONE_RATE = 30  # messages a second a phone sends while drawing at its own pace
MAX_PACE_MS = 200  # five messages a second: beyond this a stroke would look jerky
WINDOW_SECONDS = 1.0


def pace_ms(senders: int, budget: int) -> int | None:
    """The ms between messages that keeps `senders` phones within `budget` messages a
    second, in steps of 10 ms; None while they fit at their own pace (or no budget)."""
    if budget <= 0 or senders * PHONE_RATE <= budget:
        return None
    each = budget / senders  # messages a second a phone may send
    return min(MAX_PACE_MS, math.ceil(1000 / each / 10) * 10)


class PaceMeter:
    """Counts the phones that sent in the last window; the pace follows from them."""

    def __init__(self, budget: int, window: float = WINDOW_SECONDS) -> None:
        self.budget = budget
        self.window = window
        self.pace: int | None = None
        self._senders: set[str] = set()
        self._window_start = -math.inf

    def heard(self, device: str, now: float) -> None:
        """One message from `device` at `now` (monotonic seconds).

        The pace rises as soon as the window's senders outgrow it (a crowd that starts
        together would otherwise flood the process for a whole window before it is
        asked to slow down), and falls only when a window ends."""
        if now - self._window_start >= self.window:
            # After a quiet spell the last window's crowd has gone: back to no ask.
            ended_just_now = now - self._window_start < 2 * self.window
            self.pace = pace_ms(len(self._senders), self.budget) if ended_just_now else None
            self._senders.clear()
            self._window_start = now
        senders = self._senders
        if device not in senders:
            senders.add(device)
            needed = pace_ms(len(senders), self.budget)
            if needed is not None and (self.pace is None or needed > self.pace):
                self.pace = needed
