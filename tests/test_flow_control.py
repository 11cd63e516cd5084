"""Flow control against the real server: floods, oversized frames and a fair share."""

import asyncio
import json
import random
import time
import urllib.request
from collections import Counter

import pytest
import websockets

from controller.devices import device_sign
from tests.clients import PhoneClient, WallClient
from tests.test_drawing_path import draw


def set_exhibit(server, **fields) -> None:
    assignments = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    server.manage(
        "shell", "-c",
        f"from core.models import Exhibit; Exhibit.load(); "
        f"Exhibit.objects.filter(pk=1).update({assignments})",
    )  # fmt: skip


def cookie(device: str) -> str:
    return f"wall_device={device_sign(device)}"


async def poll_health(server, results: list[int], stop: asyncio.Event) -> None:
    def get() -> int:
        try:
            with urllib.request.urlopen(server.http + "/healthz", timeout=5) as response:
                return response.status
        except OSError:
            return 0

    while not stop.is_set():
        results.append(await asyncio.to_thread(get))
        await asyncio.sleep(0.2)


async def flood(server, device: str, stop: asyncio.Event, accepted: list[int]) -> Counter:
    """One phone at 100 times its ink limit, mixed with garbage; it reconnects when closed."""
    rng = random.Random(7)
    closes: Counter = Counter()
    garbage = ["{", "[]", '{"type":"points","seq":"x"}', '{"type":"start","seq":1}', "null",
               '{"type":"points","seq":1,"stroke":1,"points":[[NaN,1]]}', "é" * 200]  # fmt: skip
    while not stop.is_set():
        phone = PhoneClient(server.ws, server.origin, cookie=cookie(device))
        try:
            await phone.connect()
            while not stop.is_set():
                if rng.random() < 0.3:
                    await phone.ws.send(rng.choice(garbage))
                elif rng.random() < 0.1:
                    await phone.ws.send(b"\x00" * 10)
                else:
                    points = [[rng.random(), rng.random()] for _ in range(64)]
                    await phone.start(points)
                await asyncio.sleep(0.001)  # ~1000 messages a second, 64 points each
        except (websockets.ConnectionClosed, OSError) as closed:
            closes[getattr(getattr(closed, "rcvd", None), "code", None)] += 1
        finally:
            accepted.append(sum(64 for a in phone.acks.values() if "dropped" not in a))
            await phone.close()
    return closes


@pytest.mark.timeout(120)
async def test_a_flooder_disturbs_no_honest_phone(start_server, redis_server):
    server = start_server(workers=2, redis_url=redis_server.url)
    wall = WallClient(server.http, server.ws, server.origin)
    await wall.connect()
    honest = [
        PhoneClient(server.ws, server.origin, cookie=cookie(f"d_honest{i}")) for i in range(20)
    ]
    await asyncio.gather(*(p.connect() for p in honest))
    stop, health, flooded = asyncio.Event(), [], []
    started = time.monotonic()
    health_task = asyncio.create_task(poll_health(server, health, stop))
    flood_task = asyncio.create_task(flood(server, "d_flooder", stop, flooded))
    await asyncio.gather(*(draw(p, random.Random(i), strokes=4) for i, p in enumerate(honest)))
    stop.set()
    closes = await flood_task
    await health_task
    elapsed = time.monotonic() - started

    accepted = set().union(*(p.accepted() for p in honest))
    assert all(not p.errors for p in honest)
    assert all("dropped" not in a for p in honest for a in p.acks.values())
    await wall.wait_for_keys(accepted)
    assert wall.duplicates == 0
    # The flooder: within its ink (burst plus refill), whatever it tried.
    assert sum(flooded) <= 480 + 240 * elapsed + 64
    assert closes, "the flooder was closed at least once"
    assert health and all(status == 200 for status in health), health
    for p in honest:
        await p.close()
    await wall.close()


async def test_a_frame_over_the_size_limit_is_closed_with_1009(start_server):
    server = start_server()
    phone = PhoneClient(server.ws, server.origin)
    await phone.connect()
    await phone.ws.send(json.dumps({"type": "points", "seq": 1, "stroke": 1,
                                    "points": [[0.5, 0.5]] * 3000}))  # fmt: skip
    await asyncio.wait_for(phone._reader, 5)  # the server closes the connection
    assert phone.ws.close_code == 1009
    # The server is fine, and other phones draw on.
    other = PhoneClient(server.ws, server.origin)
    await other.connect()
    assert "dropped" not in await other.wait_acked(await other.start([[0.1, 0.1]]))
    await other.close()
    await phone.close()


@pytest.mark.timeout(90)
async def test_each_phone_gets_its_fair_share_of_a_low_budget(start_server):
    server = start_server(env={"WALL_TICK_MS": "250"}, workers=1)
    set_exhibit(server, wall_budget=12)
    await asyncio.sleep(0)
    # The running process reads the exhibit at start and every few seconds.
    server.stop()
    server.start()
    wall = WallClient(server.http, server.ws, server.origin)
    await wall.connect()
    phones = {
        name: PhoneClient(server.ws, server.origin, cookie=cookie(f"d_{name}"))
        for name in ("flood", "small1", "small2", "even1", "even2", "even3")
    }
    await asyncio.gather(*(p.connect() for p in phones.values()))

    async def round_of(sizes: dict[str, int]) -> None:
        await asyncio.gather(
            *(phones[n].start([[0.1 + i / 100, 0.5] for i in range(k)]) for n, k in sizes.items())
        )
        await asyncio.sleep(0.6)

    for _ in range(4):
        await round_of({"even1": 30, "even2": 30, "even3": 30})
        await round_of({"flood": 60, "small1": 2, "small2": 2})
    device_of = {p.client: f"d_{n}" for n, p in phones.items()}
    checked = Counter()
    for frame in wall.frames:
        counts = Counter()
        for segment in frame["segments"]:
            counts[device_of[segment["key"].split(":")[0]]] += len(segment["points"])
        if counts.keys() == {"d_even1", "d_even2", "d_even3"}:
            assert set(counts.values()) == {4}, counts
            checked["even"] += 1
        if counts.keys() == {"d_flood", "d_small1", "d_small2"}:
            assert counts == {"d_flood": 8, "d_small1": 2, "d_small2": 2}, counts
            checked["flood"] += 1
    assert checked["even"] >= 1 and checked["flood"] >= 1, checked
    for p in phones.values():
        await p.close()
    await wall.close()
