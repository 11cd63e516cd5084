"""A Redis restart must not cut off phones or stop the workers."""

import asyncio
import random
import urllib.error
import urllib.request

import pytest

from tests.clients import PhoneClient, WallClient
from tests.test_drawing_path import draw


def health(server) -> int:
    try:
        with urllib.request.urlopen(server.http + "/healthz", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.mark.timeout(120)
async def test_phones_keep_drawing_through_a_redis_restart(start_server, redis_server):
    server = start_server(workers=2, redis_url=redis_server.url)
    phones = [PhoneClient(server.ws, server.origin) for _ in range(6)]
    await asyncio.gather(*(p.connect() for p in phones))
    rngs = [random.Random(i) for i in range(len(phones))]

    redis_server.stop()
    assert await asyncio.to_thread(health, server) == 503, "health says the layer is down"
    # Phones draw while Redis is down: acknowledged, never closed.
    await asyncio.gather(*(draw(p, r, strokes=1) for p, r in zip(phones, rngs, strict=True)))
    assert all(p.ws.close_code is None for p in phones)
    assert all("dropped" not in a for p in phones for a in p.acks.values())

    redis_server.start()
    await asyncio.sleep(1)
    assert await asyncio.to_thread(health, server) == 200
    # A wall connecting now gets everything: the outage's strokes from the sheet, later ones live.
    wall = WallClient(server.http, server.ws, server.origin)
    await wall.connect()
    await asyncio.gather(*(draw(p, r, strokes=1) for p, r in zip(phones, rngs, strict=True)))
    accepted = set().union(*(p.accepted() for p in phones))
    await wall.wait_for_keys(accepted)
    assert wall.live, "live frames flow again after the restart"
    assert all(p.ws.close_code is None for p in phones), "no phone was cut off"
    for p in phones:
        await p.close()
    await wall.close()
