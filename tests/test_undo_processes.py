"""Undo across server processes (docs/decisions.md, "Undo"): a phone draws on one
process, reconnects to another and takes the stroke back there. The second process
knows the stroke only from storage; the first one's museum-safe delay still holds it
and must drop it; a wall on the second process hears `remove` and never gets the
stroke's points. Two real processes on one Redis and one PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest
import websockets

from core.models import DEFAULT_BRUSHES, DEFAULT_PALETTE
from tests.clients import device_cookie
from tests.test_conformance import Phone

pytestmark = pytest.mark.database

DELAY = 3  # seconds the first process holds strokes from walls


async def test_an_undo_on_another_process_hides_what_the_first_still_holds(
    start_server, postgres_url, redis_server
):
    first = start_server(redis_url=redis_server.url, database_url=postgres_url)
    first.manage(
        "shell", "-c",
        f"from projector.moderation import exhibit_update; exhibit_update(delay_seconds={DELAY})",
    )  # fmt: skip
    first.stop()
    await asyncio.to_thread(first.start)  # the delay is read at start as well
    second = start_server(redis_url=redis_server.url, database_url=postgres_url)

    wall = await websockets.connect(
        second.ws + "/ws/wall/", additional_headers={"Origin": second.origin}, proxy=None
    )
    heard: list[dict] = []

    async def listen() -> None:
        async for text in wall:
            heard.append(json.loads(text))

    listener = asyncio.create_task(listen())
    cookie = await asyncio.to_thread(device_cookie, first.http)
    phone = Phone(first.ws, first.origin, cookie)
    await phone.connect()
    drawn = [await phone.start(1, DEFAULT_PALETTE[0], DEFAULT_BRUSHES[0], [(0.4, 0.4)])]
    drawn.append(await phone.end(1, [(0.6, 0.6)]))
    await phone.wait_acked(drawn[-1])  # stored; the first process's delay still holds it
    drawn_at = time.monotonic()
    await phone.close()

    # The same phone (cookie, client id) comes back on the other process.
    phone.url = second.ws + "/ws/draw/"
    phone.headers["Origin"] = second.origin
    await phone.connect()
    undo = await phone.undo(1)
    await phone.wait_acked(undo)
    assert not [m for m in phone.received if m["type"] == "error"], phone.received

    await asyncio.sleep(max(0.0, drawn_at + DELAY + 1.5 - time.monotonic()))
    keys = {f"{phone.client}:{seq}" for seq in drawn}
    shown = {s["key"] for m in heard if m["type"] == "frame" for s in m["segments"]}
    assert not keys & shown, "the held segments never reached a wall"
    removes = [m for m in heard if m["type"] == "remove"]
    assert [m["strokes"] for m in removes] == [[f"{phone.client}:1"]]
    for server in (first, second):
        with urllib.request.urlopen(server.http + "/projector/sheet/", timeout=5) as response:
            sheet = json.loads(response.read())
        stored = {s["key"] for st in sheet["strokes"] for s in st["segments"]}
        assert not keys & stored, "hidden in the sheet"
    listener.cancel()
    await wall.close()
    await phone.close()
