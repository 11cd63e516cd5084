"""The crowd: simulated phones and timing walls, run in load-generator processes.

Each phone process runs many asyncio phones (uvloop), each speaking docs/protocol.md
at a phone's pace: about 30 messages a second while a stroke is drawn, a few points
a message, pauses between strokes. A phone remembers when it sent each seq; a wall
remembers when each segment key first arrived. Both use time.time(), the same
machine clock, so the coordinator can subtract one from the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import time
import urllib.request
from dataclasses import dataclass, field

import orjson
import websockets
from websockets.asyncio.client import connect

MESSAGE_INTERVAL = 1 / 30  # seconds between messages while drawing
POINTS_PER_MESSAGE = 3
STROKE_SECONDS = (0.6, 2.0)
PAUSE_SECONDS = (0.2, 0.8)
COLOR = "#f94144"  # in the installation's default palette
WIDTH = 0.006  # one of its default brushes


@dataclass(frozen=True)
class Target:
    """Where a system under test listens."""

    ws: str  # ws://host:port
    origin: str
    draw_path: str = "/ws/draw/"
    wall_path: str = "/ws/wall/"
    sets_cookie: bool = False  # the installation's phone page gives each phone a device cookie


def device_cookie(target: Target) -> dict[str, str]:
    """What a browser carries after opening the phone page: its own device cookie
    (the installation keys limits to it; without it, to the shared address)."""
    if not target.sets_cookie:
        return {}
    url = target.origin + "/"
    with urllib.request.urlopen(url, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or ():
            if header.startswith("wall_device="):
                return {"Cookie": header.split(";", 1)[0]}
    return {}


def view_so_far(target: Target, cookie: dict[str, str]) -> int:
    """What the phone page fetches after each welcome: the picture so far, made coarse
    (GET /projector/view/, docs/protocol.md). Its size in bytes."""
    request = urllib.request.Request(target.origin + "/projector/view/", headers=cookie)
    with urllib.request.urlopen(request, timeout=30) as response:
        return len(response.read())


@dataclass
class PhoneRecord:
    """What one phone saw: send times by seq, and how each seq was answered."""

    client: str
    sent: list[float] = field(default_factory=list)  # index seq-1 -> epoch seconds
    answered: int = 0  # highest seq acked or refused
    # index seq-1 -> epoch seconds of the first ack (or refusal) whose seq covers it:
    # acks are cumulative, so one ack answers every seq up to its own.
    acked_at: list[float] = field(default_factory=list)
    target: int = 0  # which of the system's servers this phone drew on (scale-out)
    dropped: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    drop_reasons: dict[str, int] = field(default_factory=dict)
    error_codes: dict[str, int] = field(default_factory=dict)
    connected: bool = False
    closed_early: bool = False
    view_bytes: int = 0  # the wall's view (projector.view) this phone received


@dataclass
class PhoneBatch:
    """A phone process's result, sent back to the coordinator."""

    phones: list[PhoneRecord]
    lags: list[float]  # how late each message left against its schedule, seconds
    connect_failures: int = 0


class StartSignal:
    """The crowd starts drawing together, once every phone process is connected.

    Connecting a crowd takes longer than it takes to draw on a server that is busy
    with it: a process that started on a fixed clock would draw while the other
    still handshakes (on the installation, while its phones fetch the phone page),
    and the step would measure the arrival, not the crowd.
    """

    def __init__(self, context) -> None:
        self.arrivals = context.Queue()
        self.go = context.Event()
        self.window = context.Array("d", 2)  # start_at, stop_at (epoch seconds)

    def arrive(self) -> None:
        """A phone process is connected (called in it)."""
        self.arrivals.put(1)

    def wait(self, timeout: float = 180.0) -> tuple[float, float]:
        """Block until the coordinator says go; the drawing window."""
        if not self.go.wait(timeout):
            raise TimeoutError("the benchmark never started the crowd")
        return self.window[0], self.window[1]

    def release(self, processes: int, duration: float, timeout: float) -> tuple[float, float]:
        """Wait for `processes` arrivals (at most `timeout`), then start everyone."""
        deadline = time.time() + timeout
        for _ in range(processes):
            with contextlib.suppress(Exception):
                self.arrivals.get(timeout=max(0.1, deadline - time.time()))
        start_at = time.time() + 0.3
        self.window[0], self.window[1] = start_at, start_at + duration
        self.go.set()
        return start_at, start_at + duration


def uvloop_run(coro):
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
        return asyncio.run(coro)


class Phone:
    def __init__(self, target: Target, client: str, rng: random.Random, index: int = 0) -> None:
        self.target = target
        self.record = PhoneRecord(client=client, target=index)
        self.rng = rng
        self.ws = None
        self.stroke = 0
        self.closing = False
        self.pace = 0.0  # seconds between messages the server asked for (0: our own)

    async def connect(self) -> None:
        cookie = await asyncio.to_thread(device_cookie, self.target)
        self.ws = await connect(
            self.target.ws + self.target.draw_path,
            additional_headers={"Origin": self.target.origin, **cookie},
            compression=None,
            max_size=2**20,
            open_timeout=30,
            ping_interval=None,
        )
        await self.ws.send(orjson.dumps({"type": "hello", "client": self.record.client}).decode())
        welcome = orjson.loads(await asyncio.wait_for(self.ws.recv(), 30))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"expected welcome, got {welcome.get('type')}")
        if self.target.sets_cookie and welcome.get("exhibit", {}).get("view"):
            await asyncio.to_thread(view_so_far, self.target, cookie)  # not in view_bytes
        self.record.connected = True

    async def read(self) -> None:
        record = self.record
        acked_at = record.acked_at

        def cover(seq: int) -> None:
            if seq > len(acked_at):
                acked_at.extend([time.time()] * (seq - len(acked_at)))

        try:
            async for text in self.ws:
                message = orjson.loads(text)
                kind = message.get("type")
                if kind == "ack":
                    self.pace = message.get("pace", 0) / 1000
                    seq = message["seq"]
                    cover(seq)
                    record.answered = max(record.answered, seq)
                    reason = message.get("dropped")
                    if reason:
                        record.dropped.append(seq)
                        record.drop_reasons[reason] = record.drop_reasons.get(reason, 0) + 1
                elif kind == "view":
                    record.view_bytes += len(text)
                elif kind == "error":
                    seq = message.get("seq")
                    code = message.get("code", "?")
                    record.error_codes[code] = record.error_codes.get(code, 0) + 1
                    if seq is not None:
                        cover(seq)
                        record.errors.append(seq)
                        record.answered = max(record.answered, seq)
        except websockets.ConnectionClosed:
            pass
        record.closed_early = not self.closing  # the server closed us mid-run

    async def send(self, message: dict, scheduled: float, lags: list[float]) -> None:
        now = time.time()
        self.record.sent.append(now)
        message["seq"] = len(self.record.sent)
        await self.ws.send(orjson.dumps(message).decode())
        lags.append(now - scheduled)

    def points(self, at: list[float], count: int) -> list[list[float]]:
        out = []
        for _ in range(count):
            at[0] = min(0.98, max(0.02, at[0] + self.rng.uniform(-0.01, 0.01)))
            at[1] = min(0.98, max(0.02, at[1] + self.rng.uniform(-0.01, 0.01)))
            out.append([round(at[0], 4), round(at[1], 4)])
        return out

    async def draw(self, start_at: float, stop_at: float, lags: list[float]) -> None:
        """Strokes at a phone's pace until stop_at (epoch seconds)."""
        rng = self.rng
        clock_offset = time.time() - time.monotonic()
        next_at = start_at + rng.uniform(0, 0.5)  # phones do not start in lockstep
        while next_at < stop_at:
            self.stroke += 1
            at = [rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)]
            stroke_end = min(stop_at, next_at + rng.uniform(*STROKE_SECONDS))
            first = True
            while True:
                delay = next_at - clock_offset - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                # A busy server's `pace`: fewer messages, the same points a second.
                interval = max(MESSAGE_INTERVAL, self.pace)
                per_message = round(POINTS_PER_MESSAGE * interval / MESSAGE_INTERVAL)
                last = next_at + interval >= stroke_end
                if first:
                    message = {
                        "type": "start",
                        "stroke": self.stroke,
                        "color": COLOR,
                        "width": WIDTH,
                        "points": self.points(at, per_message),
                    }
                else:
                    count = 1 if last else per_message
                    kind = "end" if last else "points"
                    message = {
                        "type": kind,
                        "stroke": self.stroke,
                        "points": self.points(at, count),
                    }
                await self.send(message, next_at, lags)
                first = False
                next_at += interval
                if last:
                    break
            next_at += rng.uniform(*PAUSE_SECONDS)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


def _targets(target: Target | tuple[Target, ...]) -> tuple[Target, ...]:
    return target if isinstance(target, tuple) else (target,)


async def _phones_main(
    target: Target | tuple[Target, ...],
    count: int,
    prefix: str,
    start: StartSignal,
    grace: float,
    offset: int = 0,
) -> PhoneBatch:
    """`count` phones; with several targets (servers), phone number offset + i draws on
    target (offset + i) % len(targets), so a crowd spreads evenly, as a proxy spreads it."""
    rng = random.Random(prefix)
    targets = _targets(target)
    phones = []
    for i in range(count):
        index = (offset + i) % len(targets)
        client = f"{prefix}{i:05d}{secrets.token_hex(2)}"
        phones.append(Phone(targets[index], client, random.Random(rng.random()), index))
    gate = asyncio.Semaphore(32)  # handshakes in small waves, as a crowd arrives
    failures = 0

    async def connect(phone: Phone) -> bool:
        async with gate:
            try:
                await phone.connect()
                return True
            except Exception:
                return False

    results = await asyncio.gather(*(connect(p) for p in phones))
    failures = results.count(False)
    live = [p for p, ok in zip(phones, results, strict=True) if ok]
    readers = [asyncio.create_task(p.read()) for p in live]
    lags: list[float] = []
    start.arrive()
    start_at, stop_at = await asyncio.to_thread(start.wait)
    drawers = [asyncio.create_task(_draw_safely(p, start_at, stop_at, lags)) for p in live]
    await asyncio.gather(*drawers)
    # Give the server time to answer what is still in flight.
    deadline = time.time() + grace
    while time.time() < deadline:
        if all(p.record.answered >= len(p.record.sent) for p in live):
            break
        await asyncio.sleep(0.05)
    for phone in live:
        phone.closing = True
    await asyncio.gather(*(p.close() for p in live))
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return PhoneBatch(phones=[p.record for p in phones], lags=lags, connect_failures=failures)


async def _draw_safely(phone: Phone, start_at: float, stop_at: float, lags: list[float]):
    with contextlib.suppress(websockets.ConnectionClosed):
        await phone.draw(start_at, stop_at, lags)


def phones_process(
    target: Target | tuple[Target, ...],
    count: int,
    prefix: str,
    start: StartSignal,
    grace: float,
    results,
    nice: int = 0,
    offset: int = 0,
) -> None:
    """Entry point of a phone process: runs `count` phones, puts a PhoneBatch."""
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    try:
        batch = uvloop_run(_phones_main(target, count, prefix, start, grace, offset))
        results.put(("phones", batch))
    except Exception as error:  # report, do not hang the coordinator
        start.arrive()
        results.put(("error", f"phones {prefix}: {error!r}"))


# -- walls ---------------------------------------------------------------------


@dataclass
class WallBatch:
    received: dict[str, float]  # segment key -> first arrival, epoch seconds
    points: int
    frames: int
    duplicates: int
    walls: int
    hops: list[float] = field(default_factory=list)  # frame left its Mixer -> wall, s
    # Counted on the first wall, for the scale-out's per-process figures:
    frames_by_origin: dict[str, int] = field(default_factory=dict)
    origin_of_client: dict[str, str] = field(default_factory=dict)  # first seen
    points_by_client: dict[str, int] = field(default_factory=dict)


async def _wall_main(target: Target, walls: int, ready, done, stop_at: float) -> WallBatch:
    seen: list[dict[str, float]] = [{} for _ in range(walls)]
    totals = {"points": 0, "frames": 0, "duplicates": 0}
    hops: list[float] = []
    frames_by_origin: dict[str, int] = {}
    origin_of_client: dict[str, str] = {}
    points_by_client: dict[str, int] = {}

    async def one(index: int, connection) -> None:
        received = seen[index]
        counts = index == 0  # points and frames are counted on the first wall
        try:
            async for text in connection:
                now = time.time()
                message = orjson.loads(text)
                kind = message.get("type")
                origin = ""
                if kind == "frame":
                    segments = message["segments"]
                    origin = message.get("origin", "")
                    if counts:
                        frames_by_origin[origin] = frames_by_origin.get(origin, 0) + 1
                        if "time" in message:
                            hops.append(now - message["time"] / 1000)
                elif kind == "segment":
                    segments = (message,)
                else:
                    continue
                if counts:
                    totals["frames"] += 1
                for segment in segments:
                    key = segment["key"]
                    if key in received:
                        totals["duplicates"] += 1
                        continue
                    received[key] = now
                    if counts:
                        count = len(segment["points"])
                        totals["points"] += count
                        client = key.rsplit(":", 1)[0]
                        points_by_client[client] = points_by_client.get(client, 0) + count
                        if origin and client not in origin_of_client:
                            origin_of_client[client] = origin
        except websockets.ConnectionClosed:
            pass

    connections = []
    for _ in range(walls):
        connections.append(
            await connect(
                target.ws + target.wall_path,
                additional_headers={"Origin": target.origin},
                compression=None,
                max_size=2**24,
                open_timeout=30,
                ping_interval=None,
            )
        )
    tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(connections)]
    ready.set()
    while time.time() < stop_at and not done.is_set():
        await asyncio.sleep(0.05)
    for connection in connections:
        with contextlib.suppress(Exception):
            await connection.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # A key counts as delivered when every wall has it, at the latest wall's time.
    first, *others = seen
    received = {}
    for key, at in first.items():
        times = [at] + [other.get(key) for other in others]
        if None not in times:
            received[key] = max(times)
    return WallBatch(
        received,
        totals["points"],
        totals["frames"],
        totals["duplicates"],
        walls,
        hops,
        frames_by_origin,
        origin_of_client,
        points_by_client,
    )


def walls_process(target: Target, walls: int, ready, done, stop_at: float, results) -> None:
    """Entry point of the wall process: times every segment key until done or stop_at."""
    try:
        results.put(("walls", uvloop_run(_wall_main(target, walls, ready, done, stop_at))))
    except Exception as error:
        ready.set()
        results.put(("error", f"walls: {error!r}"))
