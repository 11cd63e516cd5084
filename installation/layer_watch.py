"""A watchdog over this process's channel-layer subscription, and its repair.

Why: Redis PubSub keeps no subscription across a Redis restart. channels-redis's
pubsub layer leaves the resubscription to redis-py, which re-sends SUBSCRIBE from
its reconnect callback; a reconnect that stops half way (the socket is open, the
SUBSCRIBE never went out or never took) leaves a process that hears nothing and
sees no error: channels-redis's receive task only logs, and a `layer.receive` just
waits. Walls on such a process stop getting the other processes' frames, see no seq
gap and never resync. And whatever was published while a process was deaf is gone
for good: Redis PubSub does not queue.

So each process publishes a small probe to the control group every PROBE_SECONDS
and expects to hear it back. When it goes DEAF_SECONDS without hearing one it is
deaf (/healthz says so, see `hears`), and it repairs its subscription: SUBSCRIBE again for every
channel and group the layer holds (harmless if they still hold), and, if that is
not enough, drops the connection so that a fresh one subscribes them all. When a
probe is heard again after a deaf spell, `on_restored` runs (the runtime tells this
process's walls to resync from the sheet).

The repair reaches into channels-redis's pubsub layer (RedisPubSubLoopLayer's
shards: their lock, `_subscribed_to`, `_pubsub` and receive task); this module is
the only place that does, and tests/test_layer_watch.py checks it against a real
redis-server and the installed channels-redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from core.control import CONTROL_GROUP

log = logging.getLogger(__name__)

PROBE_SECONDS = 1.0
DEAF_SECONDS = 3.0  # no probe heard back for this long: the subscription is dead
SEND_TIMEOUT = 2.0
PROBE_TYPE = "layer.probe"


def _shards(layer: Any) -> list[Any]:
    """The pubsub layer's connections to Redis for the running loop ([] on a layer
    of another kind: nothing to repair there)."""
    get_layer = getattr(layer, "_get_layer", None)
    if get_layer is None:
        return []
    return list(getattr(get_layer(), "_shards", []))


async def resubscribe(layer: Any, *, reconnect: bool = False) -> int:
    """Subscribe again to every channel and group `layer` holds in this process, and
    restart a receive task that ended; with `reconnect`, drop the connection first so
    that a fresh one does it. Returns how many names were subscribed again."""
    count = 0
    for shard in _shards(layer):
        async with shard._lock:
            pubsub = shard._pubsub
            names = sorted(shard._subscribed_to)
            if pubsub is None or not names:
                continue
            task = shard._receive_task
            if task is None or task.done():
                shard._receive_task = None
                shard._ensure_receiver()
            if reconnect and pubsub.connection is not None:
                await pubsub.connection.disconnect()
            # On a dropped connection this reconnects, and redis-py's connect callback
            # subscribes them all; on a live one it subscribes them again.
            await pubsub.subscribe(*names)
            count += len(names)
    return count


class LayerWatch:
    """Probes this process's subscription; see the module's docstring."""

    def __init__(
        self,
        layer: Any,
        origin: str,
        on_restored: Callable[[], Awaitable[None]],
        *,
        probe_seconds: float = PROBE_SECONDS,
        deaf_seconds: float = DEAF_SECONDS,
    ) -> None:
        self.layer = layer
        self.origin = origin
        self.on_restored = on_restored
        self.probe_seconds = probe_seconds
        self.deaf_seconds = deaf_seconds
        self.deaf = False  # for /healthz
        self.repairs = 0  # resubscriptions tried
        self.restored = 0  # deaf spells that ended
        self._heard = time.monotonic()
        self._hearing = asyncio.Event()
        self._sent = 0
        self._late: set[asyncio.Task] = set()

    def heard(self, message: dict) -> bool:
        """The control listener hands every control message here first: True if it
        was a probe (nothing else to do with it). This process's own probe, heard
        after a deaf spell (or after as long a silence), ends it: `on_restored` runs."""
        if message.get("type") != PROBE_TYPE:
            return False
        if message.get("origin") != self.origin:
            return True
        now = time.monotonic()
        silent, self._heard = now - self._heard, now
        self._hearing.set()
        # A spell is over, whether or not a check saw it begin (a round can wait on
        # the layer's lock behind the Mixer's publishes for seconds).
        if self.deaf or silent >= self.deaf_seconds:
            self.deaf = False
            self.restored += 1
            log.warning("channel layer: this process hears its probes again")
            task = asyncio.create_task(self._restored())
            self._late.add(task)
            task.add_done_callback(self._late.discard)
        return True

    def silent_for(self) -> float:
        return time.monotonic() - self._heard

    async def run(self) -> None:
        self._heard = time.monotonic()
        try:
            while True:
                await asyncio.sleep(self.probe_seconds)
                await self.check()
        finally:
            for task in self._late:
                task.cancel()

    async def check(self) -> None:
        """One round: repair when no probe was heard lately; then send the next one."""
        if self.silent_for() >= self.deaf_seconds:
            if not self.deaf:
                log.warning(
                    "channel layer: no probe heard for %.1f s; resubscribing", self.silent_for()
                )
            self.deaf = True
            await self._repair()
        await self._probe()

    async def hears(self, timeout: float) -> bool:
        """Whether this process hears the layer (for /healthz): at once while no spell
        is on, else after one more probe, given `timeout` to come back."""
        if not self.deaf:
            return True
        self._hearing.clear()
        await self._probe()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hearing.wait(), timeout)
        return not self.deaf

    async def _probe(self) -> None:
        self._sent += 1
        message = {"type": PROBE_TYPE, "origin": self.origin, "n": self._sent}
        with contextlib.suppress(Exception):  # Redis away: the silence will say so
            await asyncio.wait_for(self.layer.group_send(CONTROL_GROUP, message), SEND_TIMEOUT)

    async def _restored(self) -> None:
        try:
            await self.on_restored()
        except Exception:
            log.exception("telling walls to resync failed")

    async def _repair(self) -> None:
        self.repairs += 1
        # Every other try drops the connection too, in case subscribing again on it
        # does not take (a socket that looks open and is not).
        reconnect = self.repairs % 2 == 0
        try:
            await asyncio.wait_for(resubscribe(self.layer, reconnect=reconnect), SEND_TIMEOUT)
        except Exception as error:
            log.info("channel layer: resubscribing failed: %r", error)
