"""One phone simulator for every fault test, written from docs/protocol.md; it behaves
like the phone page (static/controller/outbox.js, static/reconnect.js):

- points gathered while a message cannot leave join the waiting message (up to
  `max_points`); a seq is given when a message leaves, so seqs are contiguous;
- it paces itself below `max_messages` a second and below its ink (as the page does);
- acks are cumulative; a `dropped` ack or an error with a `seq` names one message;
- after any close except 4003 it reconnects (first try at once, then full jitter up
  to 1 s), says hello with the highest acked seq, and resends every unacknowledged
  message with the same seq; `seq_gap` resends from `expected`;
- on each new connection, the first message of every open stroke carries the
  stroke's header (color and width), protocol decision 4;
- a link where something waits for an answer and nothing was heard for STALL_SECONDS
  is dropped and reconnected (a dead Wi-Fi link sends no close).

It keeps a record of everything for the loss audit (tests/faults/audit.py): every
message sent by seq, how each was resolved (drawn, dropped, refused), when.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

import websockets

STALL_SECONDS = 8.0
OPEN_TIMEOUT = 5.0
WELCOME_TIMEOUT = 10.0
PACE_MESSAGES = 45  # a second; the server's default max_messages is 60
INK_MARGIN = 0.8  # the phone spends at most this share of the server's ink rate and burst


@dataclass
class Item:
    """A message not sent yet: its seq is given when it leaves."""

    kind: str  # start | points | end
    stroke: int
    points: list


@dataclass
class Sent:
    seq: int
    kind: str
    stroke: int
    points: list
    first_sent: float
    connection: int  # which connection first carried it
    sends: int = 1
    resolved: str | None = None  # "drawn" | "dropped:<reason>" | "refused:<code>"
    resolved_by: str | None = None  # "ack" | "welcome" | "error"
    resolved_at: float | None = None


@dataclass
class StrokeInfo:
    color: str
    width: float
    seqs: list[int] = field(default_factory=list)


class SimPhone:
    """A phone that reconnects and resends like the phone page; see the module doc."""

    def __init__(
        self,
        ws_url: str,
        origin: str,
        cookie: str,
        *,
        rng: random.Random | None = None,
        name: str = "",
        pace: float = PACE_MESSAGES,
    ) -> None:
        self.url = ws_url + "/ws/draw/"
        self.origin = origin
        self.cookie = cookie
        self.rng = rng or random.Random()
        self.name = name
        self.client = secrets.token_urlsafe(9)
        self.pace = pace
        # What the phone holds.
        self.queue: deque[Item] = deque()
        self.seq = 0  # the highest seq given
        self.acked = 0  # the highest seq acknowledged (cumulatively)
        self.next_send = 1  # the next seq to put on the wire (resends go back)
        self.sent: dict[int, Sent] = {}
        self.strokes: dict[int, StrokeInfo] = {}
        self.stroke_ids = 0
        self.headers_on: dict[int, int] = {}  # stroke -> connection its header went on
        self.max_points = 64
        self.ink_rate = 240.0
        self.ink_burst = 480.0
        self.ink = 0.0
        self.ink_at = time.monotonic()
        # What happened.
        self.connection = 0
        self.welcomes: list[dict] = []
        self.welcomed_at: list[float] = []
        self.closes: list[tuple[float, int | None]] = []  # (time, close code)
        self.connect_failures = 0
        self.errors: list[dict] = []
        self.states: list[dict] = []
        self.acks_at: list[tuple[float, int]] = []  # (time, seq) of acks that advanced
        self.heard_at = 0.0
        self.stalls = 0
        self.blocked = False
        # Machinery.
        self.ws = None
        self.welcomed = asyncio.Event()
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._last_sent_at = 0.0
        self.draw_until = float("inf")  # `draw` stops after the stroke it is on

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Connect, and stay connected until `stop`."""
        self._task = asyncio.create_task(self._run(), name=f"phone-{self.name}")

    async def stop(self) -> None:
        """Close the connection for good (a visitor leaving)."""
        self._stopping = True
        self._wake.set()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def connected(self) -> bool:
        return self.ws is not None and self.welcomed.is_set()

    # -- drawing --------------------------------------------------------------

    def new_stroke(self, color: str = "#f94144", width: float = 0.006) -> int:
        self.stroke_ids += 1
        self.strokes[self.stroke_ids] = StrokeInfo(color, width)
        return self.stroke_ids

    def add(self, stroke: int, points: list, end: bool = False) -> None:
        """Points drawn on `stroke` (its first batch is its start)."""
        info = self.strokes[stroke]
        started = bool(info.seqs) or any(i.stroke == stroke for i in self.queue)
        last = self.queue[-1] if self.queue else None
        if (
            started
            and not end
            and last is not None
            and last.stroke == stroke
            and last.kind != "end"
            and len(last.points) + len(points) <= self.max_points - 1
        ):
            last.points.extend(points)  # still waiting to leave: it takes these too
        elif not started:
            self.queue.append(Item("start", stroke, list(points)))
            if end:
                self.queue.append(Item("end", stroke, []))
        else:
            self.queue.append(Item("end" if end else "points", stroke, list(points)))
        self._wake.set()

    async def draw(
        self,
        *,
        strokes: int | None = None,
        until: float | None = None,
        messages: int = 12,
        points: int = 3,
        rate: float = 30.0,
        colors: tuple[str, ...] = ("#f94144", "#277da1", "#90be6d"),
        widths: tuple[float, ...] = (0.003, 0.006, 0.012),
    ) -> None:
        """Draw strokes of `messages` batches of `points` at `rate` batches a second,
        whatever the connection does, for `strokes` strokes or until the monotonic
        time `until`. The last stroke is always finished."""
        done = 0
        self.draw_until = until if until is not None else float("inf")
        while (strokes is None or done < strokes) and time.monotonic() < self.draw_until:
            stroke = self.new_stroke(self.rng.choice(colors), self.rng.choice(widths))
            x, y = self.rng.uniform(0.1, 0.9), self.rng.uniform(0.1, 0.9)
            for i in range(messages):
                batch = []
                for _ in range(points):
                    x = min(1.0, max(0.0, x + self.rng.uniform(-0.01, 0.01)))
                    y = min(1.0, max(0.0, y + self.rng.uniform(-0.01, 0.01)))
                    batch.append([round(x, 4), round(y, 4)])
                self.add(stroke, batch, end=i == messages - 1)
                await asyncio.sleep(1 / rate)
            done += 1
            await asyncio.sleep(self.rng.uniform(0.02, 0.1))

    def settled(self) -> bool:
        """Everything drawn has left and is acknowledged."""
        return not self.queue and self.acked >= self.seq

    async def settle(self, timeout: float) -> bool:
        """Wait until `settled`; False on timeout."""
        deadline = time.monotonic() + timeout
        while not self.settled():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.blocked:
                return False
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), min(remaining, 0.5))
        return True

    # -- the connection -------------------------------------------------------

    async def _run(self) -> None:
        attempts = 0
        while not self._stopping:
            if attempts:
                ceiling = min(1.0, 0.25 * 2 ** (attempts - 1))
                await asyncio.sleep(self.rng.uniform(0, ceiling))
            attempts += 1
            try:
                welcomed = await self._connection()
            except (OSError, websockets.WebSocketException, TimeoutError):
                self.connect_failures += 1
                welcomed = False
            finally:
                self.ws = None
                self.welcomed.clear()
            if welcomed:
                attempts = 0  # it worked: the next loss retries at once
            if self.blocked:
                return

    async def _connection(self) -> bool:
        ws = await websockets.connect(
            self.url,
            additional_headers={"Origin": self.origin, "Cookie": self.cookie},
            open_timeout=OPEN_TIMEOUT,
            max_size=2**20,
            ping_interval=None,
        )
        self.ws = ws
        welcomed = False
        try:
            await ws.send(
                json.dumps({"type": "hello", "client": self.client, "last_seq": self.acked})
            )
            async with asyncio.timeout(WELCOME_TIMEOUT):
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("type") == "welcome":
                        break
                    self._handle(message)  # e.g. an error before welcome
            welcomed = True
            self._welcome(message)
            writer = asyncio.create_task(self._write(ws))
            try:
                async for text in ws:
                    self._handle(json.loads(text))
            finally:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
        except websockets.ConnectionClosed:
            pass
        finally:
            code = ws.close_code
            self.closes.append((time.monotonic(), code))
            if code == 4003:
                self.blocked = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1)
            self._progress.set()
        return welcomed

    def _welcome(self, message: dict) -> None:
        now = time.monotonic()
        self.connection += 1
        self.welcomes.append(message)
        self.welcomed_at.append(now)
        self.heard_at = now
        limits = message.get("limits") or {}
        self.max_points = int(limits.get("max_points", self.max_points))
        self.ink_rate = float(limits.get("ink_rate", self.ink_rate))
        self.ink_burst = float(limits.get("ink_burst", self.ink_burst))
        self.ink = float(message.get("ink", self.ink_burst)) * INK_MARGIN
        self.ink_at = now
        acked = int(message.get("acked", 0))
        if acked > self.acked:
            self._resolve_upto(acked, "welcome", now)
        # Everything after what the server has goes out again, with the same seqs.
        self.next_send = self.acked + 1
        self.welcomed.set()
        self._wake.set()

    def _handle(self, message: dict) -> None:
        now = time.monotonic()
        self.heard_at = now
        kind = message.get("type")
        if kind == "ack":
            seq = int(message.get("seq", 0))
            if "ink" in message:
                self.ink = min(self._ink_now(now), float(message["ink"]) * INK_MARGIN)
                self.ink_at = now
            dropped = message.get("dropped")
            self._resolve_upto(seq, "ack", now, last=f"dropped:{dropped}" if dropped else None)
        elif kind == "error":
            self.errors.append({**message, "at": now, "connection": self.connection})
            code = message.get("code")
            if "seq" in message:
                self._resolve_upto(int(message["seq"]), "error", now, last=f"refused:{code}")
            elif code == "seq_gap" and isinstance(message.get("expected"), int):
                self.next_send = max(self.acked + 1, min(self.next_send, message["expected"]))
                self._wake.set()
        elif kind == "state":
            self.states.append({**message, "at": now})
        self._progress.set()

    def _resolve_upto(self, seq: int, by: str, now: float, last: str | None = None) -> None:
        if seq <= self.acked:
            sent = self.sent.get(seq)
            if last and sent is not None and sent.resolved_by == "welcome":
                sent.resolved, sent.resolved_by = last, by  # the welcome had covered it
            return
        for s in range(self.acked + 1, seq + 1):
            sent = self.sent.get(s)
            if sent is None:
                continue  # not ours to know (the server is ahead of us: a bug, audited)
            if sent.resolved is None:
                sent.resolved = last if (s == seq and last) else "drawn"
                sent.resolved_by = by
                sent.resolved_at = now
        self.acked = seq
        self.acks_at.append((now, seq))
        self.next_send = max(self.next_send, seq + 1)
        self._wake.set()

    # -- sending --------------------------------------------------------------

    def _ink_now(self, now: float) -> float:
        rate = self.ink_rate * INK_MARGIN
        return min(self.ink_burst * INK_MARGIN, self.ink + (now - self.ink_at) * rate)

    async def _write(self, ws) -> None:
        connection = self.connection
        while True:
            now = time.monotonic()
            oldest = self.sent.get(self.acked + 1)
            if (
                oldest is not None
                and self.acked + 1 < self.next_send
                and now - self.heard_at > STALL_SECONDS
            ):
                self.stalls += 1
                await ws.close()  # a dead link sends no close: stop waiting for it
                return
            wire = self._next_wire(now, connection)
            if wire is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.1)
                continue
            wait = self._last_sent_at + 1 / self.pace - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_sent_at = time.monotonic()
            await ws.send(json.dumps(wire))

    def _next_wire(self, now: float, connection: int) -> dict | None:
        """The next message to put on the wire, or None (nothing, or no ink yet)."""
        level = self._ink_now(now)
        if self.next_send <= self.seq:
            # A resend, same seq. A server that never saw it charges it again, so it
            # waits for ink like a new message (as the page's outbox does).
            sent = self.sent[self.next_send]
            if len(sent.points) > level:
                return None
            self.ink, self.ink_at = level - len(sent.points), now
            sent.sends += 1
            self.next_send += 1
            return self._wire(sent, connection)
        if not self.queue:
            return None
        item = self.queue[0]
        if len(item.points) > level:
            return None  # the page holds it back until the ink refills
        self.queue.popleft()
        self.ink, self.ink_at = level - len(item.points), now
        self.seq += 1
        sent = Sent(self.seq, item.kind, item.stroke, item.points, now, connection)
        self.sent[self.seq] = sent
        self.strokes[item.stroke].seqs.append(self.seq)
        self.next_send = self.seq + 1
        return self._wire(sent, connection)

    def _wire(self, sent: Sent, connection: int) -> dict:
        wire = {"type": sent.kind, "seq": sent.seq, "stroke": sent.stroke, "points": sent.points}
        info = self.strokes[sent.stroke]
        if sent.kind == "start" or self.headers_on.get(sent.stroke) != connection:
            # A start carries its header; so does an open stroke's first message on
            # each new connection (decision 4).
            wire["color"], wire["width"] = info.color, info.width
            self.headers_on[sent.stroke] = connection
        return wire
