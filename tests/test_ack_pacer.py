"""The ack pacer (installation/acks.py) alone: who is asked to send acks, and when."""

from __future__ import annotations

import asyncio

from controller.ack_ledger import AckLedger
from installation.acks import KEEPALIVE_SECONDS, AckPacer

INTERVAL = 0.01


class Phone:
    def __init__(self) -> None:
        self.calls: list[float] = []  # the keepalive each send_acks was given

    def send_acks(self, now: float, keepalive: float) -> None:
        self.calls.append(keepalive)

    def waiting(self) -> bool:
        return True


async def ticks(pacer: AckPacer, act) -> None:
    task = asyncio.create_task(pacer.run())
    try:
        await asyncio.sleep(3 * INTERVAL)
        act()
        await asyncio.sleep(3 * INTERVAL)
    finally:
        task.cancel()


def test_a_phone_that_sent_is_asked_once_at_the_next_interval_and_the_others_not():
    pacer = AckPacer(AckLedger(), interval=INTERVAL)
    sent, quiet = Phone(), Phone()
    pacer.bind("sent", sent)
    pacer.bind("quiet", quiet)
    asyncio.run(ticks(pacer, lambda: pacer.mark(sent)))
    assert sent.calls == [KEEPALIVE_SECONDS]
    assert quiet.calls == [], "its keepalive is seconds away"


def test_an_unbound_phone_is_not_asked():
    pacer = AckPacer(AckLedger(), interval=INTERVAL)
    gone = Phone()
    pacer.bind("gone", gone)
    pacer.mark(gone)
    pacer.unbind("gone", gone)
    asyncio.run(ticks(pacer, lambda: None))
    assert gone.calls == []
