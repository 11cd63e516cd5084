"""The wall's WebSocket: joins the projector group and forwards frames as they come.

Frames arrive already serialised by the Mixer; this consumer only passes text on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from channels.generic.websocket import AsyncWebsocketConsumer

from installation.runtime import GROUP_REJOIN_SECONDS, runtime_get
from installation.websocket import NoDatabaseDispatch
from projector.frames import PROJECTOR_GROUP, encode

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0


class ProjectorConsumer(NoDatabaseDispatch, AsyncWebsocketConsumer):
    groups = [PROJECTOR_GROUP]

    async def connect(self) -> None:
        """Runs at the handshake, after the group is joined (so no frame is missed)."""
        self.runtime = await runtime_get()
        await self.accept()
        exhibit = self.runtime.exhibit
        await self.send(
            text_data=encode(
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

    async def disconnect(self, code: int) -> None:
        """Runs when the wall goes away."""
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.walls.discard(self)
        task = getattr(self, "heartbeat", None)
        if task is not None:
            task.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Walls only listen; anything they send is ignored (and cannot act)."""

    async def forward(self, text: str) -> None:
        """This process's Mixer hands each frame here directly (see Runtime.walls)."""
        with contextlib.suppress(Exception):  # closing: its disconnect cleans up
            await self.send(text_data=text)

    async def wall_frame(self, event: dict) -> None:
        """Runs for the frames a Mixer published (one, or a backlog), unless they are
        this process's own: those came straight from the Mixer."""
        if event.get("origin") == self.runtime.origin:
            return
        for text in event["texts"]:
            await self.send(text_data=text)

    async def wall_message(self, event: dict) -> None:
        """Runs for control events: reset, redraw, exhibit changes, presence."""
        await self.send(text_data=event["text"])

    async def _heartbeat(self) -> None:
        """Tell the wall we are alive, and re-join the group before Redis forgets it."""
        loop = asyncio.get_running_loop()
        joined = loop.time()
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.send(
                    text_data=encode({"type": "heartbeat", "time": int(time.time() * 1000)})
                )
                if loop.time() - joined > GROUP_REJOIN_SECONDS:
                    await self.channel_layer.group_add(PROJECTOR_GROUP, self.channel_name)
                    joined = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("wall heartbeat failed: %r", error)
