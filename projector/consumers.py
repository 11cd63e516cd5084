"""The wall's WebSocket: joins the projector group and forwards frames as they come.

Frames arrive already serialised by the Mixer; this consumer only passes text on,
through its outlet: a wall that stops reading fills its own queue, is skipped (it sees
the seq gap and resyncs), and is closed after SLOW_SECONDS, never holding up the tick.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.generic.websocket import AsyncWebsocketConsumer

from core.frames import PROJECTOR_GROUP, encode
from installation.control import GROUP_REJOIN_SECONDS
from installation.runtime import runtime_get
from installation.websocket import NoDatabaseDispatch, Released, WithOutlet

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
QUEUE_BYTES = 4 * 1024 * 1024  # a second or more of the busiest frames


class ProjectorConsumer(Released, WithOutlet, NoDatabaseDispatch, AsyncWebsocketConsumer):
    groups = [PROJECTOR_GROUP]
    heartbeat: asyncio.Task | None = None

    async def connect(self) -> None:
        """Runs at the handshake, after the group is joined (so no frame is missed)."""
        self.runtime = await runtime_get()
        await self.accept()
        outlet = self.open_outlet(QUEUE_BYTES)
        exhibit = self.runtime.exhibit
        outlet.put(
            encode(
                {
                    "type": "hello",
                    "sheet": exhibit.sheet,
                    "server_time": int(time.time() * 1000),
                    "heartbeat": HEARTBEAT_SECONDS,
                    "exhibit": exhibit.for_wall(),
                }
            )
        )
        self.heartbeat = asyncio.create_task(self._heartbeat())
        self.runtime.walls.add(self)

    async def release(self) -> None:
        """Runs once when the wall goes away, however it went."""
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.walls.discard(self)
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if hasattr(self, "outlet"):
            self.outlet.stop()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Walls only listen; anything they send is ignored (and cannot act)."""

    def forward(self, text: str) -> None:
        """This process's Mixer hands each frame here directly (see Runtime.walls)."""
        if hasattr(self, "outlet"):
            self.outlet.put(text)

    async def wall_frame(self, event: dict) -> None:
        """Runs for the frames a Mixer published (one, or a backlog), unless they are
        this process's own: those came straight from the Mixer."""
        if event.get("origin") == self.runtime.origin:
            return
        for text in event["texts"]:
            self.forward(text)

    async def wall_message(self, event: dict) -> None:
        """Runs for control events: reset, redraw, exhibit changes, presence."""
        self.forward(event["text"])

    async def _heartbeat(self) -> None:
        """Tell the wall we are alive, and re-join the group before Redis forgets it."""
        loop = asyncio.get_running_loop()
        joined = loop.time()
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self.forward(encode({"type": "heartbeat", "time": int(time.time() * 1000)}))
            try:
                if loop.time() - joined > GROUP_REJOIN_SECONDS:
                    await self.channel_layer.group_add(PROJECTOR_GROUP, self.channel_name)
                    joined = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("wall heartbeat failed: %r", error)
