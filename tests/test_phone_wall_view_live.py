"""The phones' view of the wall against the real server: every process's strokes
reach every phone (through Redis), never before the walls (the museum-safe delay),
and strokes the curator removed leave it (docs/protocol.md, "The view of the wall")."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

from tests.clients import PhoneClient
from tests.parts import Server
from tests.test_curator_live import Curator, WallListener, device_of, phone_cookie, until


def view_body(server) -> dict:
    with urllib.request.urlopen(server.http + "/projector/view/", timeout=10) as response:
        return json.loads(response.read())


def views(phone: PhoneClient) -> list[dict]:
    return [m for m in phone.other if m["type"] == "view"]


def xs_in(messages: list[dict]) -> set[float]:
    """The x of every point of every stroke in these views (strokes here are upright)."""
    return {p[0] for m in messages for s in m["strokes"] for p in s["points"]}


async def upright(phone: PhoneClient, x: float) -> None:
    """One upright stroke at `x`, acknowledged (stored)."""
    line = [[x, 0.1 + 0.05 * i] for i in range(8)]
    seqs = [await phone.start(line[:4]), await phone.end(line[4:])]
    for seq in seqs:
        assert "dropped" not in await phone.wait_acked(seq)


async def connected(server) -> PhoneClient:
    phone = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    await phone.connect()
    return phone


async def test_every_process_strokes_reach_the_phones_of_every_other(start_server, redis_server):
    first = start_server(redis_url=redis_server.url)
    shared = {"SQLITE_PATH": first.env["SQLITE_PATH"]}
    second = start_server(redis_url=redis_server.url, env=shared)
    watcher, drawer = await connected(first), await connected(second)
    near = await connected(second)
    await upright(drawer, 0.25)
    # The other process's view comes over Redis; the drawer's own process sends it too.
    await until(lambda: 0.25 in xs_in(views(watcher)), what="the view on the other process")
    await until(lambda: 0.25 in xs_in(views(near)), what="the view on the same process")
    assert views(watcher)[-1]["sheet"] == watcher.welcome["sheet"]
    assert any(p[0] == 0.25 for s in view_body(first)["strokes"] for p in s["points"])
    for phone in (watcher, drawer, near):
        await phone.close()


async def test_removed_strokes_leave_the_view_and_a_reset_clears_it(start_server):
    server = start_server(workers=1)
    curator = Curator(server)
    await curator.login()
    watcher, alice, bob = [await connected(server) for _ in range(3)]
    await upright(alice, 0.2)
    await upright(bob, 0.6)
    await until(lambda: {0.2, 0.6} <= xs_in(views(watcher)), what="both strokes in the view")
    assert {0.2, 0.6} <= {p[0] for s in view_body(server)["strokes"] for p in s["points"]}

    sheet = watcher.welcome["sheet"]
    await curator.act(
        "/admin/core/device/",
        {"action": "remove_strokes", "_selected_action": device_of(alice)},
    )
    redraw = {"type": "redraw", "sheet": sheet, "reason": "removed"}
    await until(lambda: redraw in watcher.other, what="the phones' redraw")
    # Fetched again at once (not from the cache), the view has Bob's stroke only.
    xs = {p[0] for s in view_body(server)["strokes"] for p in s["points"]}
    assert 0.6 in xs and 0.2 not in xs

    await curator.act("/admin/core/sheet/reset/", {"next": "/admin/"})
    await until(lambda: any(m["type"] == "reset" for m in watcher.other), what="the reset")
    new_sheet = next(m for m in watcher.other if m["type"] == "reset")["sheet"]
    assert view_body(server) == {"sheet": new_sheet, "strokes": []}
    before = len(views(watcher))
    await upright(bob, 0.4)
    await until(lambda: len(views(watcher)) > before, what="a view on the new sheet")
    assert [m["sheet"] for m in views(watcher)[before:]] == [new_sheet] * (
        len(views(watcher)) - before
    )
    assert xs_in(views(watcher)[before:]) == {0.4}, "nothing of the archived sheet"
    for phone in (watcher, alice, bob):
        await phone.close()


DELAY = 3


@pytest.fixture
def delayed_server():
    server = Server(workers=1)
    server.manage(
        "shell",
        "-c",
        f"from core.models import Exhibit; e = Exhibit.load(); e.delay_seconds = {DELAY}; e.save()",
    )
    server.start()
    yield server
    server.close()


async def test_phones_see_strokes_no_sooner_than_the_walls(delayed_server):
    server = delayed_server
    wall = await WallListener(server).connect()
    watcher, drawer = await connected(server), await connected(server)
    drawn_at = time.monotonic()
    await upright(drawer, 0.3)
    assert 0.3 not in {p[0] for s in view_body(server)["strokes"] for p in s["points"]}
    await until(lambda: 0.3 in xs_in(views(watcher)), timeout=DELAY + 5, what="the view")
    assert time.monotonic() - drawn_at >= DELAY - 0.2, "held as long as the walls' frames"
    assert any(f["segments"] for f in wall.of("frame")), "the walls had it first"
    await asyncio.sleep(1.1)  # the cached view is at most a second old
    assert 0.3 in {p[0] for s in view_body(server)["strokes"] for p in s["points"]}
    for phone in (watcher, drawer):
        await phone.close()
    await wall.close()


SETTINGS = {  # the exhibit's change form as the admin posts it (defaults)
    "title": "Live",
    "invitation": "Draw.",
    "aspect_ratio": "1.7777",
    "palette": '["#f94144", "#277da1"]',
    "brushes": "[0.006, 0.012]",
    "background": "#101010",
    "ink_rate": "240",
    "ink_burst": "480",
    "max_points": "64",
    "max_messages": "60",
    "wall_budget": "4000",
    "max_drawing": "200",
    "max_connections_per_device": "3",
    "fade_seconds": "0",
    "attract_seconds": "120",
    "_save": "Save",
}


async def test_the_curator_can_switch_the_view_off_and_on(start_server):
    server = start_server(workers=1)
    curator = Curator(server)
    await curator.login()
    watcher, drawer = await connected(server), await connected(server)
    assert watcher.welcome["exhibit"]["view"] is True

    def told(view: bool) -> bool:
        return any(m["type"] == "exhibit" and m["exhibit"]["view"] is view for m in watcher.other)

    await curator.act("/admin/core/exhibit/1/change/", SETTINGS)  # the box unticked
    await until(lambda: told(False), what="the phones told the view is off")
    await upright(drawer, 0.3)
    await asyncio.sleep(2.5)  # two view intervals and more
    assert 0.3 not in xs_in(views(watcher)), "no view while it is off"
    assert view_body(server)["strokes"] == []

    await curator.act("/admin/core/exhibit/1/change/", {**SETTINGS, "phone_view": "on"})
    await until(lambda: told(True), what="the phones told the view is on")
    await upright(drawer, 0.7)
    await until(lambda: 0.7 in xs_in(views(watcher)), what="views again")
    xs = {p[0] for s in view_body(server)["strokes"] for p in s["points"]}
    assert {0.3, 0.7} <= xs, "the picture so far, drawn while off included"
    for phone in (watcher, drawer):
        await phone.close()
