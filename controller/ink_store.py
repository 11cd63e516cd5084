"""Ink that follows a phone across server processes.

Each process keeps its phones' buckets in memory (the hot path never leaves the
process). With several processes a reconnect can land on another one, which must not
mean a full bucket: the level is saved to Redis when a phone disconnects and loaded
when it connects. Without REDIS_URL there is one process and nothing to share.
"""

from __future__ import annotations

import asyncio
import logging
import time

from controller.ink import InkLedger

log = logging.getLogger(__name__)

TIMEOUT = 0.5  # a slow Redis must not hold up a phone's handshake
TTL_SECONDS = 3600
SAVE_EVERY = 0.5  # seconds between saves of one phone's level while it runs low
LOW = 0.5  # share of the burst under which a phone's level is worth sharing


class InkStore:
    """No sharing: the default with the in-memory channel layer (one process)."""

    async def load(self, ledger: InkLedger, device: str) -> None:
        return None

    async def save(self, ledger: InkLedger, device: str) -> None:
        return None

    def save_soon(self, ledger: InkLedger, device: str) -> None:
        """Called after every message: shares a low level now and then."""
        return None


class RedisInkStore(InkStore):
    def __init__(self, url: str, prefix: str = "wall:ink:") -> None:
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
        )
        self.prefix = prefix
        self._saved_at: dict[str, float] = {}
        self._tasks: set[asyncio.Task] = set()

    def save_soon(self, ledger: InkLedger, device: str) -> None:
        """A phone running low (a flooder, or a fast drawer) has its level shared
        twice a second, so closing and reconnecting elsewhere gains nothing."""
        now = time.monotonic()
        if now - self._saved_at.get(device, 0.0) < SAVE_EVERY:
            return
        if ledger.level(device) >= ledger.burst * LOW:
            return
        self._saved_at[device] = now
        if len(self._saved_at) > 10_000:
            self._saved_at.clear()
        task = asyncio.create_task(self.save(ledger, device))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def load(self, ledger: InkLedger, device: str) -> None:
        """Lower this device's level to what another process last saw, if lower."""
        try:
            raw = await asyncio.wait_for(self.redis.get(self.prefix + device), TIMEOUT)
        except Exception as error:
            log.debug("ink load failed: %r", error)
            return
        if raw is None:
            return
        try:
            level, saved_at = (float(v) for v in _text(raw).split(","))
        except ValueError:
            return
        refilled = level + max(0.0, time.time() - saved_at) * ledger.rate
        bucket = ledger.bucket(device)
        bucket.refill(ledger.clock())
        bucket.level = min(bucket.level, refilled, ledger.burst)

    async def save(self, ledger: InkLedger, device: str) -> None:
        level = ledger.level(device)
        if level >= ledger.burst:
            return  # a full bucket is the default: nothing to remember
        value = f"{level:.3f},{time.time():.3f}"
        try:
            await asyncio.wait_for(
                self.redis.set(self.prefix + device, value, ex=TTL_SECONDS), TIMEOUT
            )
        except Exception as error:
            log.debug("ink save failed: %r", error)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def ink_store_for(redis_url: str) -> InkStore:
    return RedisInkStore(redis_url) if redis_url else InkStore()
