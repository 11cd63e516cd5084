"""The phone's WebSocket: moves frames between the socket and a DrawingSession.

It stays off the channel layer (SocketOnlyConsumer), so a Redis hiccup cannot close
a phone, and it skips Channels' per-message database clean-up, a thread hop the hot
path never needs (it touches no ORM). Everything it sends goes through its outlet, so
nothing of the process ever waits on this phone's socket.
"""

from __future__ import annotations

import asyncio
import logging

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from controller.devices import device_fallback, device_from_scope
from controller.session import CloseConnection, DrawingSession
from core import close_codes
from core.frames import encode
from core.messages import Hello, Undo
from installation.runtime import runtime_get
from installation.websocket import Released, SocketOnlyConsumer, WithOutlet

log = logging.getLogger(__name__)

HELLO_TIMEOUT = settings.HELLO_TIMEOUT
IDLE_TIMEOUT = 15 * 60.0
QUEUE_BYTES = 256 * 1024  # a phone's replies are small: this is many seconds of them
VIEW_SKIP_BYTES = 32 * 1024  # more than this waiting: the phone skips a view of the wall


class ControllerConsumer(Released, WithOutlet, SocketOnlyConsumer, AsyncWebsocketConsumer):
    """One phone's connection at /ws/draw/."""

    watchdog: asyncio.Task | None = None
    registered = False
    in_line = False
    views_skipped = 0

    async def websocket_disconnect(self, message: dict) -> None:
        raise StopConsumer()  # Released runs `release`

    async def connect(self) -> None:
        """Runs at the handshake: identify the phone, apply blocks and caps."""
        self.runtime = await runtime_get()
        self.device = device_from_scope(self.scope) or device_fallback(self.scope)
        self.session = DrawingSession(self.runtime, self.device, phone=self)
        await self.accept()
        self.open_outlet(QUEUE_BYTES)
        exhibit = self.runtime.exhibit
        if self.device in exhibit.blocked:
            self.kick(close_codes.BLOCKED, "blocked")
            return
        open_now = self.runtime.connections(self.device)
        if open_now >= exhibit.max_connections_per_device:
            self.notify(
                {
                    "type": "error",
                    "code": "too_many_connections",
                    "detail": f"this device already has {open_now} open connections",
                }
            )
            self.outlet.close(close_codes.TOO_MANY_CONNECTIONS)
            return
        await self.runtime.ink_store.load(self.runtime.ink, self.device)
        self.runtime.register(self)
        self.registered = True
        self.last_seen = asyncio.get_running_loop().time()
        self.watchdog = asyncio.create_task(self._watch())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Runs for every frame the phone sends."""
        if not self.registered:
            return  # refused at the handshake; its close is on its way
        self.last_seen = asyncio.get_running_loop().time()
        runtime = self.runtime
        try:
            result = self.session.receive(text_data, bytes_data)
            if isinstance(result, Undo):
                # A stroke drawn on another process or before a restart: storage knows
                # it. Frames are handled one at a time: nothing overtakes this seq.
                assert self.session.client is not None
                drawn = await runtime.stroke_lookup(self.session.client, result.stroke)
                result = self.session.undo(result, drawn)
        except CloseConnection as close:
            for reply in close.replies:
                self.notify(reply)
            # Save ink before closing: the phone may reconnect to another process at once.
            await runtime.ink_store.save(runtime.ink, self.device)
            self.outlet.close(close.code)
            return
        if isinstance(result, Hello):
            await self._hello(result)
            return
        for reply in result:
            self.notify(reply)
        runtime.ack_pacer.mark(self)
        runtime.ink_store.save_soon(runtime.ink, self.device)

    async def _hello(self, hello: Hello) -> None:
        runtime = self.runtime
        claim = await runtime.claims.claim(hello.client, self.device)
        if not claim.granted:
            self.notify(self.session.refused_hello())
            return
        runtime.ack_pacer.unbind(self.session.client, self)
        if self.in_line:
            place = runtime.line.admission.position(self)
        else:
            place, self.in_line = runtime.line.join(self, self.device), True
        color = self.session.color or runtime.color_for(self.device, excluding=self)
        self.notify(self.session.welcome(hello, claim, color, place))
        runtime.ack_pacer.bind(hello.client, self)

    @property
    def color(self) -> str | None:
        """The colour this phone draws in now (the runtime's colour choice reads it)."""
        return self.session.color

    def send_acks(self, now: float, keepalive: float) -> None:
        """Runs every ACK_SECONDS while this phone is owed an ack (from the pacer)."""
        for reply in self.session.take_acks(now, keepalive):
            self.notify(reply)

    def waiting(self) -> bool:
        return self.session.waiting()

    def view(self, text: str) -> None:
        """Runs about once a second per process with a `view` of the wall, the same text
        for every phone. Best-effort: skipped before the welcome, and while this
        phone's queue is backed up (acks matter more; the next view comes soon)."""
        if self.session.client is None or not self.registered:
            return
        if self.outlet.queued_bytes > VIEW_SKIP_BYTES:
            self.views_skipped += 1
            return
        self.outlet.put(text)

    async def release(self) -> None:
        """Runs once when the connection ends, whoever closed it and why."""
        if self.watchdog is not None:
            self.watchdog.cancel()
        if hasattr(self, "outlet"):
            self.outlet.stop()
        if self.registered:
            self.registered = False
            self.runtime.release(self, self.session.client)
            await self.runtime.ink_store.save(self.runtime.ink, self.device)

    def notify(self, message: dict) -> None:
        if hasattr(self, "outlet"):
            self.outlet.put(encode(message))

    def kick(self, code: int, state: str) -> None:
        self.notify({"type": "state", "state": state})
        if hasattr(self, "outlet"):
            self.outlet.close(code)

    async def _watch(self) -> None:
        """Close a connection that never says hello, or goes silent for too long."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(HELLO_TIMEOUT)
        if self.session.client is None:
            self.outlet.close(close_codes.NO_HELLO)
            return
        while True:
            remaining = self.last_seen + IDLE_TIMEOUT - loop.time()
            if remaining <= 0:
                self.outlet.close(close_codes.IDLE)
                return
            await asyncio.sleep(remaining)
