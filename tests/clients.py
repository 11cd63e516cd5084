"""Protocol clients for end-to-end tests, written from docs/protocol.md alone."""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.request
from dataclasses import dataclass, field

import websockets


def device_cookie(http_url: str) -> str:
    """The device cookie the phone page gives a browser (`wall_device=…`)."""
    with urllib.request.urlopen(http_url + "/", timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or ():
            if header.startswith("wall_device="):
                return header.split(";", 1)[0]
    return ""


class PhoneClient:
    """A phone: says hello, draws strokes, and keeps every ack and error it gets."""

    def __init__(self, ws_url: str, origin: str, cookie: str | None = None) -> None:
        self.url = ws_url + "/ws/draw/"
        self.origin = origin
        self.cookie = cookie
        self.client = secrets.token_urlsafe(9)
        self.seq = 0
        self.stroke = 0
        self.acks: dict[int, dict] = {}  # seq -> its ack (one per message, unfolded)
        self.refused: set[int] = set()  # seqs answered by an error
        self._handled = 0
        self.errors: list[dict] = []
        self.states: list[dict] = []
        self.welcome: dict | None = None
        self.other: list[dict] = []
        self.ws = None
        self._reader: asyncio.Task | None = None
        self._acked = asyncio.Event()

    async def connect(self) -> dict:
        headers = {"Origin": self.origin}
        if self.cookie is None:
            self.cookie = await asyncio.to_thread(device_cookie, self.origin)
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await websockets.connect(self.url, additional_headers=headers, max_size=2**20)
        await self.ws.send(json.dumps({"type": "hello", "client": self.client, "last_seq": 0}))
        self.welcome = json.loads(await self.ws.recv())
        self._reader = asyncio.create_task(self._read())
        return self.welcome

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                message = json.loads(text)
                kind = message.get("type")
                if kind == "ack":
                    self._resolve(message["seq"], message)
                    self._acked.set()
                elif kind == "error":
                    self.errors.append(message)
                    if "seq" in message:
                        self._resolve(message["seq"], None)
                        self.refused.add(message["seq"])
                    self._acked.set()
                elif kind == "state":
                    self.states.append(message)
                else:
                    self.other.append(message)
        except websockets.ConnectionClosed:
            pass

    def _resolve(self, seq: int, ack: dict | None) -> None:
        """Acks are cumulative: every message up to `seq` is handled. Only the message
        named by an ack can be dropped. An ack repeated while storage is slow (seq 0
        when nothing is acknowledged yet) changes nothing."""
        if seq <= self._handled:
            return
        for earlier in range(self._handled + 1, seq):
            self.acks.setdefault(earlier, {"seq": earlier, "ink": (ack or {}).get("ink")})
        if ack is not None:
            self.acks[seq] = ack
        self._handled = max(self._handled, seq)

    async def send(self, message: dict) -> int:
        self.seq += 1
        message = {**message, "seq": self.seq}
        await self.ws.send(json.dumps(message))
        return self.seq

    async def start(self, points, color: str = "#f94144", width: float = 0.006) -> int:
        self.stroke += 1
        return await self.send(
            {
                "type": "start",
                "stroke": self.stroke,
                "color": color,
                "width": width,
                "points": [list(p) for p in points],
            }
        )

    async def points(self, points) -> int:
        return await self.send(
            {"type": "points", "stroke": self.stroke, "points": [list(p) for p in points]}
        )

    async def end(self, points=()) -> int:
        return await self.send(
            {"type": "end", "stroke": self.stroke, "points": [list(p) for p in points]}
        )

    async def wait_acked(self, seq: int, timeout: float = 10) -> dict:
        async with asyncio.timeout(timeout):
            while seq not in self.acks and seq not in self.refused:
                self._acked.clear()
                await self._acked.wait()
        return self.acks.get(seq, {"seq": seq, "refused": True})

    def accepted(self) -> set[str]:
        """Keys of the segments the server acknowledged as drawn."""
        return {f"{self.client}:{seq}" for seq, ack in self.acks.items() if "dropped" not in ack}

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


@dataclass
class WallClient:
    """A wall: subscribes, loads the sheet, merges live frames by segment key."""

    http_url: str
    ws_url: str
    origin: str
    segments: dict[str, list] = field(default_factory=dict)  # key -> points
    order: dict[str, list[str]] = field(default_factory=dict)  # stroke -> keys in order
    from_sheet: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    duplicates: int = 0
    frames: list[dict] = field(default_factory=list)
    gaps: int = 0
    resyncs: int = 0
    resync_messages: int = 0  # `resync` messages heard
    fetch_errors: list[str] = field(default_factory=list)  # sheet fetches that failed
    stored: dict[str, int] = field(default_factory=dict)
    needed: dict[str, int] = field(default_factory=dict)

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.ws_url + "/ws/wall/", additional_headers={"Origin": self.origin}, max_size=2**24
        )
        self.hello = json.loads(await self.ws.recv())
        self._buffer: list[dict] = []
        self._loaded = False
        self._last: dict[str, int] = {}
        self._resync: asyncio.Task | None = None
        self._merges: set[asyncio.Task] = set()
        self._reader = asyncio.create_task(self._read())
        await self.load_sheet()

    async def load_sheet(self) -> None:
        sheet = await asyncio.to_thread(self._fetch_sheet)
        self._merge_sheet(sheet)
        self._loaded = True
        buffered, self._buffer = self._buffer, []
        for frame in buffered:
            self._apply_frame(frame)
        self._resync_if_needed()

    def _merge_sheet(self, sheet: dict) -> None:
        self.stored = sheet["stored"]
        self.resyncs += 1
        for stroke in sheet["strokes"]:
            for segment in stroke["segments"]:
                self._apply(stroke["stroke"], segment["key"], segment["points"], live=False)
        for origin, seq in list(self.needed.items()):
            if self.stored.get(origin, 0) >= seq:
                del self.needed[origin]

    def _resync_if_needed(self) -> None:
        """Frames sent before we subscribed, or lost, must come from the sheet: fetch it
        again (storage lags by a flush) until its watermark covers them."""
        if self.needed and (self._resync is None or self._resync.done()):
            self._resync = asyncio.create_task(self._resync_loop())

    async def _resync_loop(self) -> None:
        for _ in range(40):
            await asyncio.sleep(0.25)
            sheet = await self._fetch_sheet_or_none()
            if sheet is not None:
                self._merge_sheet(sheet)
            if not self.needed:
                return

    async def _fetch_sheet_or_none(self) -> dict | None:
        """The sheet, or None (counted) if it did not come: the wall page tries again
        later too, it does not give up on one failed fetch."""
        try:
            return await asyncio.to_thread(self._fetch_sheet)
        except (OSError, ValueError) as error:
            self.fetch_errors.append(repr(error))
            return None

    def _fetch_sheet(self) -> dict:
        origins = ",".join(sorted(self._last))
        url = self.http_url + "/projector/sheet/" + (f"?origins={origins}" if origins else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                message = json.loads(text)
                if message["type"] == "resync":
                    self._told_to_resync(message)
                if message["type"] != "frame":
                    continue
                self.frames.append(message)
                if self._loaded:
                    self._apply_frame(message)
                else:
                    self._buffer.append(message)
        except websockets.ConnectionClosed:
            pass

    def _told_to_resync(self, message: dict) -> None:
        """Frames may have been lost unseen (docs/protocol.md, `resync`): merge the
        sheet, as after a gap."""
        self.resync_messages += 1
        if message.get("sheet") != self.hello.get("sheet"):
            return
        task = asyncio.create_task(self._merge_fetched())
        self._merges.add(task)
        task.add_done_callback(self._merges.discard)

    async def _merge_fetched(self) -> None:
        for _ in range(10):
            sheet = await self._fetch_sheet_or_none()
            if sheet is not None:
                self._merge_sheet(sheet)
                return
            await asyncio.sleep(0.5)

    def _apply_frame(self, frame: dict) -> None:
        origin, seq = frame["origin"], frame["seq"]
        last = self._last.get(origin)
        if last is None:
            if self.stored.get(origin, 0) < seq - 1:
                self.needed[origin] = max(self.needed.get(origin, 0), seq - 1)
        elif seq != last + 1:
            self.gaps += 1
            self.needed[origin] = max(self.needed.get(origin, 0), seq - 1)
        self._last[origin] = seq
        if self.needed:
            self._resync_if_needed()
        for segment in frame["segments"]:
            self._apply(segment["stroke"], segment["key"], segment["points"], live=True)

    def _apply(self, stroke: str, key: str, points: list, live: bool) -> None:
        if key in self.segments:
            if live and key in self.live:
                self.duplicates += 1  # the same live segment twice is a bug
            return
        self.segments[key] = points
        self.order.setdefault(stroke, []).append(key)
        (self.live if live else self.from_sheet).add(key)

    async def wait_for_keys(self, keys: set[str], timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while not keys <= self.segments.keys():
                await asyncio.sleep(0.05)

    async def close(self) -> None:
        await self.ws.close()
        if self._resync is not None:
            self._resync.cancel()
        for task in self._merges:
            task.cancel()
        tasks = [t for t in (self._reader, self._resync, *self._merges) if t is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
