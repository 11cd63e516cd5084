"""Passes over every phone take turns with the sockets.

Handing a text to a phone's outlet is cheap, but it wakes that phone's writer task,
and the woken writers all run before the event loop reads a socket again. A view for
1,200 phones was one stall of 45-55 ms every second, and the acks after each commit
one of 20-25 ms five times a second: every point that arrived meanwhile waited for
them (docs/decisions.md, "Passes over every phone take turns").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

TURN = 64  # phones handed a text between two looks at the sockets: 1-3 ms of work


async def in_turns(items: Iterable[T], act: Callable[[T], None], turn: int = TURN) -> int:
    """`act` on each item, letting the loop run (sockets read, woken writers send)
    after every `turn` of them; how many items there were."""
    count = 0
    for item in items:
        act(item)
        count += 1
        if count % turn == 0:
            await asyncio.sleep(0)
    return count
