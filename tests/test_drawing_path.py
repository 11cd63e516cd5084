"""The drawing path end to end, against the real server started from the Procfile."""

import asyncio
import random

import pytest
import websockets

from tests.clients import PhoneClient, WallClient

PHONES = 20
STROKES = 3
MESSAGES = 8


def stroke_points(rng: random.Random, n: int = 4) -> list[list[float]]:
    x, y = rng.random(), rng.random()
    points = []
    for _ in range(n):
        x = min(1.0, max(0.0, x + rng.uniform(-0.01, 0.01)))
        y = min(1.0, max(0.0, y + rng.uniform(-0.01, 0.01)))
        points.append([round(x, 4), round(y, 4)])
    return points


async def draw(phone: PhoneClient, rng: random.Random, strokes: int = STROKES) -> None:
    for _ in range(strokes):
        await phone.start(stroke_points(rng))
        for _ in range(MESSAGES):
            await phone.points(stroke_points(rng))
            await asyncio.sleep(1 / 30)
        await phone.wait_acked(await phone.end(stroke_points(rng, 1)))
        await asyncio.sleep(rng.uniform(0.02, 0.1))


async def crowd_scenario(server) -> None:
    wall = WallClient(server.http, server.ws, server.origin)
    await wall.connect()
    phones = [PhoneClient(server.ws, server.origin) for _ in range(PHONES)]
    await asyncio.gather(*(p.connect() for p in phones))
    rngs = [random.Random(i) for i in range(PHONES)]

    await asyncio.gather(*(draw(p, r, strokes=2) for p, r in zip(phones, rngs, strict=True)))
    # A second wall joins half-way: earlier strokes come from the sheet, later ones live.
    late = WallClient(server.http, server.ws, server.origin)
    await late.connect()
    await asyncio.gather(*(draw(p, r, strokes=2) for p, r in zip(phones, rngs, strict=True)))

    accepted = set().union(*(p.accepted() for p in phones))
    assert len(accepted) == PHONES * 4 * (MESSAGES + 2)
    await wall.wait_for_keys(accepted)
    await late.wait_for_keys(accepted)
    for w in (wall, late):
        assert w.duplicates == 0
        assert w.segments.keys() == accepted, "every accepted point exactly once"
        for keys in w.order.values():  # in order within each stroke
            seqs = [int(k.split(":")[1]) for k in keys]
            assert seqs == sorted(seqs)
    assert late.from_sheet and late.live, "the late wall used both the sheet and live frames"
    assert wall.live == accepted
    for p in phones:
        await p.close()
    await wall.close()
    await late.close()


@pytest.mark.timeout(120)
async def test_crowd_on_redis_with_two_workers(start_server, redis_server):
    server = start_server(workers=2, redis_url=redis_server.url)
    await crowd_scenario(server)


@pytest.mark.timeout(120)
async def test_crowd_in_memory_with_one_worker(start_server):
    server = start_server(workers=1)
    await crowd_scenario(server)


async def test_foreign_origin_is_refused(start_server):
    server = start_server()
    for path in ("/ws/draw/", "/ws/wall/"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            foreign = {"Origin": "https://evil.example"}
            await websockets.connect(server.ws + path, additional_headers=foreign)
        assert refused.value.response.status_code == 403
    # …while the same host's own origin is accepted.
    own = {"Origin": server.origin}
    ws = await websockets.connect(server.ws + "/ws/wall/", additional_headers=own)
    await ws.close()
