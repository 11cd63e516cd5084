"""Who owns a client id: the device that first said hello with it.

Client ids are public (they prefix every segment key a wall sees), so a hello alone
must not let one device speak in another's sequence space. A claim is kept in this
process, shared through Redis when there is one (phones move between processes), and
checked against the stored segments, which outlive every restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

TIMEOUT = 1.0  # a slow Redis or database must not hold a hello for long
TTL_SECONDS = 30 * 24 * 3600  # as long as an exhibit runs

# client -> [(device, highest stored seq)] from the database (core.storage).
StoredLookup = Callable[[str], Awaitable[list[tuple[str, int]]]]


@dataclass(frozen=True, slots=True)
class Claim:
    granted: bool
    stored_seq: int = 0  # the highest seq of this client the database holds


class ClientClaims:
    def __init__(self, stored: StoredLookup, redis_url: str = "", size: int = 100_000) -> None:
        self._stored = stored
        self._owners: OrderedDict[str, str] = OrderedDict()
        self.size = size
        self.redis = None
        if redis_url:
            import redis.asyncio as redis

            self.redis = redis.Redis.from_url(
                redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
            )

    def owner(self, client: str) -> str | None:
        """The owner this process knows of, without asking anyone."""
        return self._owners.get(client)

    async def claim(self, client: str, device: str) -> Claim:
        """Grant `client` to `device` unless another device owns it."""
        known = self._owners.get(client)
        if known is not None and known != device:
            return Claim(False)
        stored_seq = 0
        if known is None:
            owners = await self._lookup(client)
            if any(owner != device for owner, _ in owners):
                return Claim(False)
            stored_seq = max((seq for _, seq in owners), default=0)
            if not await self._claim_shared(client, device):
                return Claim(False)
            self._remember(client, device)
        return Claim(True, stored_seq)

    async def _lookup(self, client: str) -> list[tuple[str, int]]:
        try:
            return await asyncio.wait_for(self._stored(client), TIMEOUT)
        except Exception as error:  # the database is away: Redis and memory still hold
            log.info("checking a client's stored owner failed: %r", error)
            return []

    async def _claim_shared(self, client: str, device: str) -> bool:
        if self.redis is None:
            return True
        key = f"wall:client:{client}"
        try:
            async with asyncio.timeout(TIMEOUT):
                if await self.redis.set(key, device, nx=True, ex=TTL_SECONDS):
                    return True
                owner = await self.redis.get(key)
        except Exception as error:  # Redis is away: this process's memory still holds
            log.info("sharing a client claim failed: %r", error)
            return True
        return owner is None or owner in (device, device.encode())

    def _remember(self, client: str, device: str) -> None:
        self._owners[client] = device
        self._owners.move_to_end(client)
        while len(self._owners) > self.size:
            self._owners.popitem(last=False)
