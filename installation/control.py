"""The control listener: the one place this process listens on the channel layer.

Curator changes, removals and the other processes' wall loads arrive on the "control"
group; phones never listen on the layer themselves (a Redis hiccup must not cut them
off), so this listener hands each message to the runtime. It re-joins the group
before channels-redis's group expiry forgets it, and backs off while Redis is away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.control import CONTROL_GROUP

log = logging.getLogger(__name__)

GROUP_REJOIN_SECONDS = 3600.0  # well inside channels-redis's 24 h group expiry


class ControlListener:
    def __init__(self, layer, on_message: Callable[[dict], Awaitable[None]]) -> None:
        self.layer = layer
        self.on_message = on_message
        self.ok = True  # whether the layer answered lately (for the health page)
        self._channel: str | None = None

    async def run(self) -> None:
        backoff = 0.5
        stale: str | None = None
        while True:
            try:
                if self._channel is None:
                    self._channel = await self.layer.new_channel()
                await self.layer.group_add(CONTROL_GROUP, self._channel)
                if stale is not None:  # after the new one joined: the group stays heard
                    await self.layer.group_discard(CONTROL_GROUP, stale)
                    stale = None
                self.ok, backoff = True, 0.5
                async with asyncio.timeout(GROUP_REJOIN_SECONDS):
                    while True:
                        await self.on_message(await self.layer.receive(self._channel))
            except TimeoutError:
                # Time to re-join the group before it expires. Cancelling the wait
                # made channels-redis's pubsub layer drop the channel itself, so the
                # group is joined again with a new one.
                stale, self._channel = self._channel, None
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.ok = False
                log.warning("control listener lost the channel layer: %r", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
