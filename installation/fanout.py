"""The walls connected to this process, and handing each frame to every one of them.

Handing over never waits: each wall has its own outlet (installation.outlet), so a
wall that stops reading costs its own queue, never the tick or the other walls.
"""

from __future__ import annotations

from typing import Protocol


class WallConnection(Protocol):
    def forward(self, text: str) -> None: ...


class WallFanout:
    def __init__(self) -> None:
        self._walls: set[WallConnection] = set()
        self.frames = 0

    def add(self, wall: WallConnection) -> None:
        self._walls.add(wall)

    def discard(self, wall: WallConnection) -> None:
        self._walls.discard(wall)

    def __len__(self) -> int:
        return len(self._walls)

    def deliver(self, text: str) -> None:
        """One frame's text to every wall here (called by the Mixer each tick)."""
        self.frames += 1
        for wall in list(self._walls):
            wall.forward(text)

    def tell(self, text: str) -> None:
        """A message (not a frame) to every wall here."""
        for wall in list(self._walls):
            wall.forward(text)
