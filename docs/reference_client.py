"""A reference phone client, written from docs/protocol.md alone (asyncio + websockets).

    phone = Phone("ws://host:8000", origin="http://host:8000", cookie="wall_device=…")
    await phone.connect()                        # open, hello -> welcome (client_taken: new id)
    await phone.start(1, "#f94144", 0.006, [(0.1, 0.1)])
    await phone.points(1, [(0.2, 0.2)])
    await phone.end(1)
    await phone.wait_acked(phone.last_seq)       # acked = stored in the database
    await phone.close()

It keeps every message until it is acknowledged, resends what is not after a
reconnect or a `seq_gap`, and puts the stroke's header (color, width) on the first
message of each open stroke on each connection. Everything it receives is kept in
`received`, for people (and tests) who want to look.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Sequence
from typing import Any

import websockets

Point = tuple[float, float] | tuple[float, float, float]


class Closed(Exception):  # noqa: N818 - named after the event, like ConnectionClosed
    """The server closed the connection before `welcome`; `code` says why."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


def client_id() -> str:
    return secrets.token_urlsafe(12)  # 16 characters of [A-Za-z0-9_-], 96 random bits


class Phone:
    def __init__(self, url: str, origin: str, cookie: str = "", client: str | None = None) -> None:
        self.url = url.rstrip("/") + "/ws/draw/"
        self.headers = {"Origin": origin, **({"Cookie": cookie} if cookie else {})}
        self.client = client or client_id()
        self.acked = 0  # highest seq acknowledged (by an ack, or an error with its seq)
        self.last_seq = 0  # highest seq given to a message
        self.outbox: dict[int, dict[str, Any]] = {}  # seq -> message, until acknowledged
        self.styles: dict[int, tuple[str, float]] = {}  # open strokes -> (color, width)
        self.headed: set[int] = set()  # strokes that got their header on this connection
        self.received: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] | None = None
        self.ws: Any = None
        self._reader: asyncio.Task | None = None
        self._changed = asyncio.Event()
        self._gap_resent: int | None = None
        self.pace = 0  # ms between messages a busy server asks for (0: the phone's own pace)

    # -- the connection --------------------------------------------------------------

    async def open(self) -> None:
        """Open the socket only (no hello): for tests of what comes before it."""
        self.ws = await websockets.connect(self.url, additional_headers=self.headers, proxy=None)
        self.headed, self._gap_resent, self.welcome = set(), None, None
        self._reader = asyncio.create_task(self._read())

    async def connect(self, timeout: float = 10) -> dict[str, Any]:
        """Open a connection, say hello, and resend what is not acknowledged."""
        await self.open()
        return await self.hello(timeout)

    async def hello(self, timeout: float = 10) -> dict[str, Any]:
        """Say hello on the open socket until welcomed (a taken id is replaced)."""
        async with asyncio.timeout(timeout):
            while self.welcome is None:
                since = len(self.received)
                hello = {"type": "hello", "client": self.client, "last_seq": self.acked}
                try:
                    await self.send_raw(hello)
                except websockets.ConnectionClosed:
                    raise Closed(await self.closed()) from None
                reply = await self.next_reply(("welcome", "error"), since=since)
                if reply["type"] == "error" and reply["code"] == "client_taken":
                    self._new_client()
                elif reply["type"] == "error" and reply["code"] == "too_many_connections":
                    raise Closed(await self.closed())  # the server closes with 4029
                elif reply["type"] == "error":
                    raise RuntimeError(f"hello refused: {reply}")
        self._settled(self.welcome["acked"])
        self.last_seq = max(self.last_seq, self.welcome["acked"])
        await self._resend(self.acked + 1)
        return self.welcome

    def _new_client(self) -> None:
        """The id is another device's: take a new one and renumber what waits from 1."""
        self.client, self.acked = client_id(), 0
        waiting = list(self.outbox.values())
        self.outbox = {seq: {**m, "seq": seq} for seq, m in enumerate(waiting, start=1)}
        self.last_seq = len(waiting)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def closed(self, timeout: float = 15) -> int | None:
        """Wait for the server to close the socket; its close code."""
        async with asyncio.timeout(timeout):
            await asyncio.gather(self._reader, return_exceptions=True)
        return self.ws.close_code

    # -- sending ---------------------------------------------------------------------

    async def send_raw(self, message: dict[str, Any] | str | bytes) -> None:
        """Send anything, as is (a dict is sent as JSON)."""
        await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    async def send(self, message: dict[str, Any]) -> int:
        """Give the message the next seq, keep it until acknowledged, send it if
        connected (otherwise it goes with the resend after the next `connect`)."""
        self.last_seq += 1
        self.outbox[self.last_seq] = {**message, "seq": self.last_seq}
        if self.welcome is not None and not self._reader.done():
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._transmit(self.outbox[self.last_seq])
        return self.last_seq

    async def _transmit(self, message: dict[str, Any]) -> None:
        stroke = message.get("stroke")
        if message["type"] in ("points", "end") and stroke not in self.headed:
            style = self.styles.get(stroke)
            if style is not None:  # first message of an open stroke on this connection
                message = {**message, "color": style[0], "width": style[1]}
        if stroke is not None:
            self.headed.add(stroke)
        await self.send_raw(message)

    async def _resend(self, first: int) -> None:
        for seq in sorted(s for s in self.outbox if s >= first):
            await self._transmit(self.outbox[seq])

    async def start(self, stroke: int, color: str, width: float, points: Sequence[Point]) -> int:
        self.styles[stroke] = (color, width)
        message = {"type": "start", "stroke": stroke, "color": color, "width": width}
        return await self.send({**message, "points": [list(p) for p in points]})

    async def points(self, stroke: int, points: Sequence[Point]) -> int:
        return await self.send(
            {"type": "points", "stroke": stroke, "points": [list(p) for p in points]}
        )

    async def end(self, stroke: int, points: Sequence[Point] = ()) -> int:
        return await self.send(
            {"type": "end", "stroke": stroke, "points": [list(p) for p in points]}
        )

    async def ping(self) -> int:
        return await self.send({"type": "ping"})

    # -- receiving -------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                message = json.loads(text)
                self.received.append(message)
                await self._handle(message)
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self._changed.set()

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "welcome":
            self.welcome = message
        elif kind == "ack" or (kind == "error" and "seq" in message):
            self._settled(message["seq"])  # cumulative: everything up to it is done
            if kind == "ack":
                self.pace = message.get("pace", 0)  # whoever sends strokes gathers points
        elif kind == "error" and message.get("code") == "seq_gap":
            expected = message["expected"]
            if expected != self._gap_resent:  # one resend per gap, not one per message
                self._gap_resent = expected
                await self._resend(expected)

    def _settled(self, seq: int) -> None:
        if seq <= self.acked:
            return  # a repeated ack: harmless
        self.acked = seq
        for done in [s for s in self.outbox if s <= seq]:
            message = self.outbox.pop(done)
            if message["type"] == "end":
                self.styles.pop(message["stroke"], None)

    async def next_reply(
        self, types: tuple[str, ...], timeout: float = 10, since: int | None = None
    ) -> dict[str, Any]:
        """The next message of one of these types received from now, or from `since`:
        `len(received)` taken before sending what it answers, so a fast reply is not missed."""
        seen = len(self.received) if since is None else since
        async with asyncio.timeout(timeout):
            while True:
                for message in self.received[seen:]:
                    if message.get("type") in types:
                        return message
                seen = len(self.received)
                if self._reader.done():
                    raise Closed(self.ws.close_code)
                self._changed.clear()
                await self._changed.wait()

    async def wait_acked(self, seq: int, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while self.acked < seq:
                if self._reader.done():
                    raise Closed(self.ws.close_code)
                self._changed.clear()
                await self._changed.wait()
