"""The ack pacer (installation/acks.py) alone: who is told what, and when."""

from __future__ import annotations

import asyncio

from controller.ack_ledger import AckLedger
from controller.pace import PaceMeter
from installation.acks import KEEPALIVE_SECONDS, AckPacer

INTERVAL = 0.01


class Phone:
    def __init__(self, waiting: bool) -> None:
        self._waiting = waiting
        self.calls: list[float] = []  # the keepalive each send_acks was given

    def send_acks(self, now: float, keepalive: float) -> None:
        self.calls.append(keepalive)

    def waiting(self) -> bool:
        return self._waiting


async def pace_rises_while(pacer: AckPacer, meter: PaceMeter, act) -> None:
    task = asyncio.create_task(pacer.run())
    try:
        await asyncio.sleep(3 * INTERVAL)
        act(meter)
        await asyncio.sleep(3 * INTERVAL)
    finally:
        task.cancel()


def test_a_rising_pace_reaches_every_drawing_phone_at_the_next_interval():
    meter = PaceMeter(budget=60)
    pacer = AckPacer(AckLedger(), meter, interval=INTERVAL)
    drawing, idle = Phone(waiting=True), Phone(waiting=False)
    pacer.bind("drawing", drawing)
    pacer.bind("idle", idle)

    def crowd(meter: PaceMeter) -> None:
        for n in range(4):
            meter.heard(f"d_{n}", 0.0)

    asyncio.run(pace_rises_while(pacer, meter, crowd))
    assert meter.pace == 70
    assert drawing.calls == [0.0], "once, its last ack again (keepalive 0), not every tick"
    assert idle.calls == [], "a phone with nothing in flight hears it with its next ack"


def test_no_pace_no_extra_acks():
    meter = PaceMeter(budget=60)
    pacer = AckPacer(AckLedger(), meter, interval=INTERVAL)
    drawing = Phone(waiting=True)
    pacer.bind("drawing", drawing)
    asyncio.run(pace_rises_while(pacer, meter, lambda meter: meter.heard("d_0", 0.0)))
    assert meter.pace is None
    assert drawing.calls == []


def test_a_phone_marked_due_is_asked_with_the_keepalive():
    pacer = AckPacer(AckLedger(), PaceMeter(budget=60), interval=INTERVAL)
    phone = Phone(waiting=True)
    pacer.bind("phone", phone)
    asyncio.run(pace_rises_while(pacer, pacer.pace, lambda meter: pacer.mark(phone)))
    assert phone.calls == [KEEPALIVE_SECONDS]
