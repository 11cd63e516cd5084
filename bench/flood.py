"""The flooder: one phone drawing at 100 times its ink limit, mixed with garbage
frames, reconnecting whenever the server closes it (as a hostile client would)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from dataclasses import dataclass, field

import orjson
import websockets
from websockets.asyncio.client import connect

from bench.loadgen import COLOR, WIDTH, StartSignal, Target, device_cookie, uvloop_run

INK_RATE = 240.0  # the installation's default ink refill, points a second
MAX_POINTS = 64
OVERDRIVE = 100
GARBAGE = [
    "{not json",
    '{"type": "points"}',
    '{"type": "start", "seq": "x", "stroke": 1, "points": []}',
    '{"type": "points", "seq": 1, "stroke": 1, "points": [[NaN, 0.5]]}',
    '{"type": "points", "seq": 1, "stroke": 1, "points": [[7, -3]]}',
    b"\x00\x01binary",
]


@dataclass
class FloodReport:
    sent: int = 0
    garbage: int = 0
    points_sent: int = 0
    points_accepted: int = 0
    connections: int = 0
    closes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)


async def _flood(target: Target, start: StartSignal) -> FloodReport:
    report = FloodReport()
    rng = random.Random(7)
    messages_per_second = INK_RATE * OVERDRIVE / MAX_POINTS  # 375 a second of 64 points
    interval = 1 / messages_per_second
    start_at, stop_at = await asyncio.to_thread(start.wait)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    # One phone: its device cookie is fetched once and kept across reconnects, as a
    # browser would (without it, its address is its identity: the same bucket).
    cookie = await asyncio.to_thread(device_cookie, target)
    while time.time() < stop_at:
        client = "flood" + secrets.token_hex(4)
        try:
            ws = await connect(
                target.ws + target.draw_path,
                additional_headers={"Origin": target.origin, **cookie},
                compression=None,
                ping_interval=None,
            )
        except Exception:
            await asyncio.sleep(0.1)
            continue
        report.connections += 1
        sizes: dict[int, int] = {}

        async def read(ws=ws, sizes=sizes) -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for text in ws:
                    message = orjson.loads(text)
                    kind, seq = message.get("type"), message.get("seq")
                    refused = kind == "error" or "dropped" in message
                    if seq is not None and kind in ("ack", "error"):
                        # Acks are cumulative: every earlier message still open was drawn;
                        # only the message an ack or error names can be refused.
                        for earlier in [s for s in sizes if s < seq]:
                            report.points_accepted += sizes.pop(earlier)
                        points = sizes.pop(seq, 0)
                        if not refused:
                            report.points_accepted += points
                    if kind == "ack" and "dropped" in message:
                        reason = message["dropped"]
                        report.drops[reason] = report.drops.get(reason, 0) + 1
                    elif kind == "error":
                        code = message.get("code", "?")
                        report.errors[code] = report.errors.get(code, 0) + 1

        reader = asyncio.create_task(read())
        seq = 0
        next_at = time.time()
        try:
            await ws.send(orjson.dumps({"type": "hello", "client": client}).decode())
            stroke = 0
            while time.time() < stop_at:
                next_at += interval
                delay = next_at - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if rng.random() < 0.25:
                    await ws.send(rng.choice(GARBAGE))
                    report.garbage += 1
                    continue
                seq += 1
                points = [[rng.random(), rng.random()] for _ in range(MAX_POINTS)]
                if seq % 30 == 1:
                    stroke += 1
                    message = {"type": "start", "color": COLOR, "width": WIDTH}
                else:
                    message = {"type": "points"}
                message.update(seq=seq, stroke=stroke, points=points)
                sizes[seq] = MAX_POINTS
                await ws.send(orjson.dumps(message).decode())
                report.sent += 1
                report.points_sent += MAX_POINTS
        except websockets.ConnectionClosed as closed:
            code = str(closed.rcvd.code if closed.rcvd else "none")
            report.closes[code] = report.closes.get(code, 0) + 1
        finally:
            with contextlib.suppress(Exception):
                await ws.close()
            await asyncio.gather(reader, return_exceptions=True)
    return report


def flood_process(target: Target, start: StartSignal, results) -> None:
    """Entry point of the flooder's own process (so it does not slow honest phones);
    it starts with the crowd."""
    try:
        results.put(("flood", uvloop_run(_flood(target, start))))
    except Exception as error:
        results.put(("error", f"flood: {error!r}"))
