"""Passes over every phone (installation/turns.py) let the event loop run between turns:
a point that arrives during a view or an ack pass waits for one turn, not the pass."""

from __future__ import annotations

import asyncio

from controller.ack_ledger import AckLedger
from installation.acks import AckPacer
from installation.turns import TURN, in_turns


def test_every_item_is_acted_on_once_in_order():
    seen: list[int] = []
    count = asyncio.run(in_turns(range(1000), seen.append))
    assert seen == list(range(1000))
    assert count == 1000


def test_a_reader_runs_between_turns_not_after_the_whole_pass():
    """What another task saw of the pass each time it ran: a pass of 10 turns must
    let it in at least once per turn."""
    done: list[int] = []
    glimpses: list[int] = []

    async def reader() -> None:
        while len(done) < 10 * TURN:
            glimpses.append(len(done))
            await asyncio.sleep(0)

    async def main() -> None:
        task = asyncio.create_task(reader())
        await asyncio.sleep(0)  # the reader is waiting, as a socket's reader would be
        await in_turns(range(10 * TURN), done.append)
        await task

    asyncio.run(main())
    inside = [g for g in glimpses if 0 < g < 10 * TURN]
    assert len(inside) >= 9, glimpses
    assert max(b - a for a, b in zip(glimpses, glimpses[1:], strict=False)) <= TURN


class Phone:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def send_acks(self, now: float, keepalive: float) -> None:
        self.log.append(self.name)

    def waiting(self) -> bool:
        return False


def test_the_ack_pacer_takes_turns_with_other_tasks():
    log: list[str] = []
    pacer = AckPacer(AckLedger(), interval=0.01)
    for i in range(3 * TURN):
        phone = Phone(log, f"phone{i}")
        pacer.bind(f"phone{i}", phone)
        pacer.mark(phone)

    async def other() -> None:  # a socket's reader, ready all the time
        while sum(entry != "other" for entry in log) < 3 * TURN:
            log.append("other")
            await asyncio.sleep(0)

    async def main() -> None:
        task = asyncio.create_task(pacer.run())
        await asyncio.wait_for(other(), 5)
        task.cancel()

    asyncio.run(main())
    phones = [entry for entry in log if entry != "other"]
    assert len(phones) == 3 * TURN, "every due phone was asked once"
    first, last = log.index(phones[0]), log.index(phones[-1])
    assert "other" in log[first:last], "another task ran in the middle of the pass"
