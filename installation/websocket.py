"""Shared consumer behaviour."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer

from installation.outlet import Outlet, transport_abort


class NoDatabaseDispatch:
    """Dispatch ASGI events without Channels' per-message aclose_old_connections().

    That call is a thread hop (about 185 µs against 16 µs a message on 2 cores) that
    only matters to consumers using the ORM; these never do on their hot path.
    """

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class SocketOnlyConsumer(NoDatabaseDispatch):
    """A consumer that listens to its socket only, never to a channel layer.

    Channels' own loop (`await_many_dispatch`) waits on the socket and the layer with
    a new task and an `asyncio.wait` per message; with one source a plain loop does
    the same work without them, and no Redis error can reach the connection.
    """

    channel_layer = None

    async def __call__(self, scope, receive, send) -> None:
        self.scope = scope
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass


class Released:
    """Runs the consumer's `release` exactly once when the connection ends, however it
    ends: the client closed, the server closed (any code), or the handler raised.

    Channels calls `disconnect` only for a `websocket.disconnect` event it dispatches;
    a close the server started, or an error, could skip it and leave the connection
    counted, in the line, and holding its device's connection slot forever.
    """

    _released = False

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)  # type: ignore[misc]
        finally:
            await self.release_once()

    async def release_once(self) -> None:
        if not self._released:
            self._released = True
            await self.release()

    async def release(self) -> None:
        """Give back what the connection held (for subclasses)."""


class WithOutlet:
    """A consumer whose every send goes through its own Outlet (installation.outlet):
    nothing of the process waits on this client's socket. Mixed into a Released
    AsyncWebsocketConsumer whose `runtime` is set before `open_outlet`."""

    outlet: Outlet
    runtime: Any
    base_send: Any

    def open_outlet(self, limit_bytes: int) -> Outlet:
        self.outlet = Outlet(
            send=self._send_text,
            close=self.close,  # type: ignore[attr-defined]
            abort=transport_abort(self.base_send),
            limit_bytes=limit_bytes,
            on_slow=self.runtime.slow_client_closed,
            on_closed=self.release_once,  # type: ignore[attr-defined]
        )
        return self.outlet

    async def _send_text(self, text: str) -> None:
        await self.send(text_data=text)  # type: ignore[attr-defined]
