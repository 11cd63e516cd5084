"""The line: who draws now and who waits (controller.admission), and telling phones.

Phones let in hear "live" at once. Places in line change for everyone behind a phone
that leaves, so they are told at most every rotation (PRESENCE_SECONDS), and only to
phones whose place changed: work in proportion to the changes, not the line squared.
"""

from __future__ import annotations

from typing import Protocol

from controller.admission import Admission


class WaitingPhone(Protocol):
    def notify(self, message: dict) -> None: ...


class Line:
    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self._told: dict[WaitingPhone, int] = {}  # phone -> the place it was last told

    def join(self, phone: WaitingPhone, device: str) -> int:
        """0 if the phone draws now, else its place (the welcome tells it)."""
        place = self.admission.join(phone, device)
        if place:
            self._told[phone] = place
        return place

    def leave(self, phone: WaitingPhone, device: str) -> None:
        self.admission.leave(phone, device)
        self._told.pop(phone, None)
        self.let_in()

    def let_in(self) -> None:
        """Phones that may draw now are told at once."""
        for phone in self.admission.promote():
            self._told.pop(phone, None)
            phone.notify({"type": "state", "state": "live"})

    def rotate(self) -> None:
        """Idle drawers yield to the line; waiting phones whose place changed hear it."""
        for phone in self.admission.yield_idle():
            self._told[phone] = 0
        self.let_in()
        for phone, place in self.admission.waiting():
            if self._told.get(phone) != place:
                self._told[phone] = place
                phone.notify({"type": "state", "state": "full", "position": place})
