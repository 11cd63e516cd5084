"""Undo: a phone takes back one of its own strokes, for a short while after drawing it
(docs/protocol.md, "Undo"). The rules as plain code; the session applies them.

A stroke is named by its number within the connection's client id, and a client id
belongs to one device (controller.claims), so a device can only ever name its own
strokes: a number this client never drew is refused exactly like another phone's
would be, and reveals nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

UNDO_SECONDS = 10.0  # what the phone offers, from its finger lifting
# The server counts from the stroke's last message arriving, by its own clock: the
# undo may arrive a little later than the phone's count says (a queued outbox, a slow
# link), so the server allows this much more.
UNDO_GRACE = 2.0
RECENT_STROKES = 16  # a client's strokes this process remembers for undo


@dataclass(slots=True)
class DrawnStroke:
    """What an undo is checked against: the stroke's sheet, when its last message was
    accepted (epoch seconds, the server's clock) and whether it is hidden already."""

    sheet: int
    last_at: float
    hidden: bool = False


class RecentStrokes:
    """One client's last few strokes on this process (its memory; storage answers for
    strokes drawn on another process or before a restart)."""

    __slots__ = ("_strokes", "size")

    def __init__(self, size: int = RECENT_STROKES) -> None:
        self.size = size
        self._strokes: OrderedDict[int, DrawnStroke] = OrderedDict()

    def drawn(self, stroke: int, sheet: int, at: float) -> None:
        """A message of `stroke` was drawn at `at` (cheap: it runs for every message)."""
        known = self._strokes.get(stroke)
        if known is not None:
            known.last_at = at
            return
        self.remember(stroke, DrawnStroke(sheet, at))

    def remember(self, stroke: int, drawn: DrawnStroke) -> None:
        self._strokes[stroke] = drawn
        while len(self._strokes) > self.size:
            self._strokes.popitem(last=False)

    def get(self, stroke: int) -> DrawnStroke | None:
        return self._strokes.get(stroke)

    def hidden(self, stroke: int) -> bool:
        known = self._strokes.get(stroke)
        return known is not None and known.hidden


def undo_refusal(drawn: DrawnStroke | None, sheet: int, now: float) -> tuple[str, str] | None:
    """Why an undo of `drawn` (None: this client never drew it) is refused, as (code,
    detail), or None if it may be done."""
    if drawn is None:
        return "not_yours", "no stroke of yours has this number"
    if drawn.sheet != sheet:
        return "too_late", "the wall was cleared since"
    if now - drawn.last_at > UNDO_SECONDS + UNDO_GRACE:
        return "too_late", f"a stroke can be taken back for {UNDO_SECONDS:.0f} s"
    return None
