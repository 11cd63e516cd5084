"""The phone's WebSocket: moves frames between the socket and a DrawingSession.

It stays off the channel layer (SocketOnlyConsumer), so a Redis hiccup cannot close
a phone, and it skips Channels' per-message database clean-up, a thread hop the hot
path never needs (it touches no ORM).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from controller import close_codes
from controller.devices import device_fallback, device_from_scope
from controller.session import CloseConnection, DrawingSession
from installation.runtime import runtime_get
from installation.websocket import SocketOnlyConsumer
from projector.frames import encode

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0
IDLE_TIMEOUT = 15 * 60.0


class ControllerConsumer(SocketOnlyConsumer, AsyncWebsocketConsumer):
    """One phone's connection at /ws/draw/."""

    async def websocket_disconnect(self, message: dict) -> None:
        await self.disconnect(message.get("code", 1006))
        raise StopConsumer()

    async def connect(self) -> None:
        """Runs at the handshake: identify the phone, apply blocks and caps."""
        self.runtime = await runtime_get()
        self.device = device_from_scope(self.scope) or device_fallback(self.scope)
        self.session = DrawingSession(self.runtime, self.device, phone=self)
        self.watchdog: asyncio.Task | None = None
        self.registered = False
        await self.accept()
        exhibit = self.runtime.exhibit
        if self.device in exhibit.blocked:
            await self.kick(close_codes.BLOCKED, "blocked")
            return
        if self.runtime.connections(self.device) >= exhibit.max_connections_per_device:
            await self.notify({"type": "error", "code": "too_many_connections", "detail": ""})
            await self.close(close_codes.TOO_MANY_CONNECTIONS)
            return
        await self.runtime.ink_store.load(self.runtime.ink, self.device)
        self.runtime.register(self)
        self.registered = True
        place = self.runtime.admission.join(self, self.device)
        if place:
            await self.notify({"type": "state", "state": "full", "position": place})
        self.last_seen = asyncio.get_running_loop().time()
        self.watchdog = asyncio.create_task(self._watch())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Runs for every frame the phone sends."""
        self.last_seen = asyncio.get_running_loop().time()
        try:
            replies = self.session.receive(text_data, bytes_data)
        except CloseConnection as close:
            for reply in close.replies:
                await self.notify(reply)
            # Save ink before closing: the phone may reconnect to another process at once.
            await self.runtime.ink_store.save(self.runtime.ink, self.device)
            await self.close(close.code)
            return
        for reply in replies:
            await self.send(text_data=encode(reply))
        if self.session.ack_due:
            self.runtime.acks_due.add(self)
        self.runtime.ink_store.save_soon(self.runtime.ink, self.device)

    async def send_ack(self) -> None:
        """Runs every ACK_SECONDS for phones owed an ack (from the runtime)."""
        reply = self.session.take_ack()
        if reply is not None:
            await self.notify(reply)

    async def disconnect(self, code: int) -> None:
        """Runs when the socket closes, whoever closed it."""
        if self.watchdog is not None:
            self.watchdog.cancel()
        if getattr(self, "registered", False):
            self.runtime.acks_due.discard(self)
            self.runtime.unregister(self)
            await self.runtime.ink_store.save(self.runtime.ink, self.device)
            self.runtime.admission.leave(self, self.device)
            for phone in self.runtime.admission.promote():
                await phone.notify({"type": "state", "state": "live"})
            for phone, place in self.runtime.admission.waiting():
                await phone.notify({"type": "state", "state": "full", "position": place})

    async def notify(self, message: dict) -> None:
        # The socket may be going away; its disconnect cleans up.
        with contextlib.suppress(Exception):
            await self.send(text_data=encode(message))

    async def kick(self, code: int, state: str) -> None:
        await self.notify({"type": "state", "state": state})
        await self.close(code)

    async def _watch(self) -> None:
        """Close a connection that never says hello, or goes silent for too long."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(HELLO_TIMEOUT)
        if self.session.client is None:
            await self.close(close_codes.NO_HELLO)
            return
        while True:
            remaining = self.last_seen + IDLE_TIMEOUT - loop.time()
            if remaining <= 0:
                await self.close(close_codes.IDLE)
                return
            await asyncio.sleep(remaining)
