"""One wall budget for the whole installation: four server processes behind Redis
share the wall's points per tick, max-min fair per phone (projector.fairshare)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest
import websockets

from tests.clients import PhoneClient
from tests.parts import Server

pytestmark = [pytest.mark.timeout(120)]

BUDGET = 120  # points a tick for the whole wall: far below what the crowd asks
TICK = 0.025
PHONES = 16


async def draw(phone: PhoneClient, stop: float) -> None:
    await phone.start([(0.5, 0.5)] * 40)
    while time.monotonic() < stop:
        await phone.points([(0.5, 0.5)] * 40)
        await asyncio.sleep(1 / 30)


async def test_four_processes_share_one_wall_budget(redis_server):
    settings = (
        "from core.models import Exhibit; e = Exhibit.load(); "
        f"e.wall_budget = {BUDGET}; e.ink_rate = 100000; e.ink_burst = 200000; "
        "e.max_points = 64; e.max_messages = 100; e.save()"
    )
    server = Server(workers=4, redis_url=redis_server.url)
    try:
        server.manage("shell", "-c", settings)  # the exhibit is read when a process starts
        server.start()
        await share_and_measure(server)
    finally:
        server.close()


async def share_and_measure(server: Server) -> None:
    wall = await websockets.connect(
        server.ws + "/ws/wall/", additional_headers={"Origin": server.origin}, max_size=2**24
    )
    phones = [PhoneClient(server.ws, server.origin) for _ in range(PHONES)]
    for phone in phones:
        await phone.connect()
    warm, stop = time.monotonic() + 5, time.monotonic() + 12
    drawing = asyncio.gather(*(draw(p, stop) for p in phones))
    points: Counter[str] = Counter()  # device -> points the wall got after warming up
    origins: set[str] = set()
    total = 0
    while time.monotonic() < stop:
        try:
            message = json.loads(await asyncio.wait_for(wall.recv(), 1))
        except TimeoutError:
            continue
        if message["type"] != "frame" or time.monotonic() < warm:
            continue
        origins.add(message["origin"])
        for segment in message["segments"]:
            points[segment["device"]] += len(segment["points"])
            total += len(segment["points"])
    await drawing
    seconds = stop - warm
    assert len(origins) >= 2, "the phones were spread over several processes"
    assert total <= BUDGET * seconds / TICK * 1.25, "the wall got about one budget a tick"
    # Shares follow reports 2 s old, and on a busy CI machine the phones of this one
    # process do not all send at the same pace: within a factor of 3 of equal, so a
    # process whose phones were starved (or served first) still fails.
    mean = total / len(points)
    assert len(points) == PHONES and all(mean / 3 <= n <= 3 * mean for n in points.values())
    await wall.close()
