"""Ack pacing: each phone gets one cumulative ack per interval at most, and only for
what storage has committed (docs/protocol.md, "Durability").

The phones owed something are marked due when they send, and when a commit covers
their messages; every ACK_SECONDS the pacer asks each due phone to send what its
session allows. While messages wait on storage, a phone hears its last ack again every
KEEPALIVE_SECONDS, so a slow database never looks like a dead server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from functools import partial
from typing import Protocol

from controller.ack_ledger import AckLedger
from core.frames import PlainBatch, StoredBatch
from installation.turns import in_turns

log = logging.getLogger(__name__)

ACK_SECONDS = 0.1
KEEPALIVE_SECONDS = 2.0


class AckedPhone(Protocol):
    def send_acks(self, now: float, keepalive: float) -> None: ...

    def waiting(self) -> bool: ...


class AckPacer:
    def __init__(self, ledger: AckLedger, interval: float = ACK_SECONDS) -> None:
        self.ledger = ledger
        self.interval = interval
        self._due: set[AckedPhone] = set()
        self._by_client: dict[str, AckedPhone] = {}

    def bind(self, client: str, phone: AckedPhone) -> None:
        """`phone` speaks for `client` now: commits of its messages reach it."""
        self._by_client[client] = phone

    def unbind(self, client: str | None, phone: AckedPhone) -> None:
        if client is not None and self._by_client.get(client) is phone:
            del self._by_client[client]
        self._due.discard(phone)

    def mark(self, phone: AckedPhone) -> None:
        self._due.add(phone)

    def committed(self, batches: Iterable[StoredBatch | PlainBatch]) -> None:
        """Storage holds these frames: their phones may be acknowledged (an undo's
        ack waits for its hide's commit, as a segment's for its row)."""
        ledger, by_client, due = self.ledger, self._by_client, self._due
        for batch in batches:
            for client, seq in batch.acked():
                if ledger.committed(client, seq) is not None:
                    phone = by_client.get(client)
                    if phone is not None:
                        due.add(phone)

    async def run(self) -> None:
        next_keepalive = time.monotonic() + KEEPALIVE_SECONDS
        while True:
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            due, self._due = self._due, set()
            if now >= next_keepalive:
                next_keepalive = now + KEEPALIVE_SECONDS
                due.update(p for p in self._by_client.values() if p.waiting())
            # In turns with the sockets: a commit makes most of the phones due at once.
            await in_turns(due, partial(_send_acks, now=now))


def _send_acks(phone: AckedPhone, now: float) -> None:
    try:
        phone.send_acks(now, KEEPALIVE_SECONDS)
    except Exception:  # one phone's bug must not starve the others
        log.exception("sending acks failed")
