"""Curator actions against the real server (started from the Procfile): they reach
connected phones and walls, across worker processes through Redis; nothing a phone
or a wall sends can trigger them; and SIGTERM mid-drawing loses no acked stroke."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import signal
import sqlite3
import urllib.parse
import urllib.request

import pytest
import websockets

from tests.clients import PhoneClient

PASSWORD = "a-curator-password-1"


class Curator:
    """A staff member in the admin over real HTTP: session login and CSRF."""

    def __init__(self, server) -> None:
        self.server = server
        server.env["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
        server.manage(
            "createsuperuser", "--noinput", "--username", "curator", "--email", "c@example.org"
        )
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> str:
        with self.opener.open(self.server.http + path, timeout=15) as response:
            return response.read().decode()

    def post(self, path: str, data: dict | list) -> tuple[int, str]:
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        body = urllib.parse.urlencode([("csrfmiddlewaretoken", self.csrf()), *fields]).encode()
        request = urllib.request.Request(self.server.http + path, data=body, method="POST")
        with self.opener.open(request, timeout=15) as response:
            return response.status, response.geturl()

    async def login(self) -> None:
        def login() -> None:
            self.get("/admin/login/")
            status, url = self.post(
                "/admin/login/?next=/admin/",
                {"username": "curator", "password": PASSWORD, "next": "/admin/"},
            )
            assert status == 200 and "/login/" not in url, "logged in"

        await asyncio.to_thread(login)

    async def act(self, path: str, data: dict | list | None = None) -> str:
        status, url = await asyncio.to_thread(self.post, path, data or {})
        assert status == 200
        return url


class WallListener:
    """A wall socket that keeps every message, control events included."""

    def __init__(self, server) -> None:
        self.server = server
        self.messages: list[dict] = []

    async def connect(self) -> WallListener:
        self.ws = await websockets.connect(
            self.server.ws + "/ws/wall/",
            additional_headers={"Origin": self.server.origin},
            max_size=2**24,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                self.messages.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == kind]

    def origin_of(self) -> dict[str, str]:
        """Segment key -> the server process that mixed it."""
        return {s["key"]: f["origin"] for f in self.of("frame") for s in f["segments"]}

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


async def until(predicate, timeout: float = 10, what: str = "a condition") -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


def phone_cookie(server) -> str:
    """A real device cookie, as the phone page sets it."""
    with urllib.request.urlopen(server.http + "/", timeout=10) as response:
        header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0]


def sheet_body(server, path: str = "/projector/sheet/") -> dict:
    with urllib.request.urlopen(server.http + path, timeout=10) as response:
        return json.loads(response.read())


async def stroke(phone: PhoneClient, x: float = 0.5, points: int = 3) -> list[dict]:
    """Draw one stroke of three messages; returns their acks."""
    line = [[x, 0.1 + 0.01 * i] for i in range(points)]
    seqs = [await phone.start(line), await phone.points(line), await phone.end(line[:1])]
    return [await phone.wait_acked(seq) for seq in seqs]


async def refused_code(server, cookie: str) -> int | None:
    """The close code a phone with this cookie gets on connecting (None: welcomed)."""
    async with websockets.connect(
        server.ws + "/ws/draw/", additional_headers={"Origin": server.origin, "Cookie": cookie}
    ) as ws:
        try:
            await ws.send(json.dumps({"type": "hello", "client": "probe1234", "last_seq": 0}))
            async with asyncio.timeout(5):
                async for text in ws:
                    if json.loads(text).get("type") == "welcome":
                        return None
        except websockets.ConnectionClosed:
            pass
        return ws.close_code


def device_of(phone: PhoneClient) -> str:
    return phone.welcome["device"]


def stored_keys(sqlite_path: str) -> set[str]:
    with sqlite3.connect(sqlite_path) as db:
        rows = db.execute("SELECT client, seq FROM projector_segment").fetchall()
    return {f"{client}:{seq}" for client, seq in rows}


@pytest.mark.timeout(120)
async def test_reset_pause_remove_block_reach_phones_and_walls(start_server):
    server = start_server(workers=1)
    curator = Curator(server)
    await curator.login()
    wall = await WallListener(server).connect()
    alice = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    bob = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    for phone in (alice, bob):
        await phone.connect()
    assert device_of(alice) != device_of(bob) and device_of(alice).startswith("d_")
    await stroke(alice, 0.2)
    await stroke(bob, 0.6)
    sheet = sheet_body(server)["sheet"]
    await until(lambda: len(sheet_body(server)["strokes"]) == 2, what="two stored strokes")

    # Remove Alice's strokes: the wall is told to redraw, the sheet holds Bob's only.
    await curator.act(
        "/admin/core/device/",
        {"action": "remove_strokes", "_selected_action": device_of(alice)},
    )
    await until(lambda: wall.of("redraw"), what="the wall's redraw")
    assert wall.of("redraw")[-1] == {"type": "redraw", "sheet": sheet, "reason": "removed"}
    assert {s["device"] for s in sheet_body(server)["strokes"]} == {device_of(bob)}

    # Block Alice: her socket closes with 4003 and a clear state; Bob draws on.
    await curator.act(
        "/admin/core/device/", {"action": "block", "_selected_action": device_of(alice)}
    )
    await asyncio.wait_for(alice._reader, 10)
    assert alice.ws.close_code == 4003
    assert alice.states[-1] == {"type": "state", "state": "blocked"}
    assert all("dropped" not in ack for ack in await stroke(bob, 0.7))
    assert await refused_code(server, alice.cookie) == 4003, "a blocked phone cannot come back"
    await curator.act(
        "/admin/core/device/", {"action": "unblock", "_selected_action": device_of(alice)}
    )
    for _ in range(20):  # the unblock reaches the process a moment after the response
        if await refused_code(server, alice.cookie) is None:
            break
    alice = PhoneClient(server.ws, server.origin, cookie=alice.cookie)
    await alice.connect()
    assert alice.welcome["type"] == "welcome", "unblocked, it may draw again"

    # Pause: phones learn it and their strokes are dropped; resume lets them draw.
    await curator.act("/admin/core/exhibit/pause/")
    await until(lambda: {"type": "state", "state": "paused"} in bob.states, what="paused")
    assert {"type": "state", "state": "paused"} in alice.states
    assert {ack.get("dropped") for ack in await stroke(bob)} == {"paused"}
    await curator.act("/admin/core/exhibit/resume/")
    await until(lambda: bob.states[-1] == {"type": "state", "state": "live"}, what="live")
    assert all("dropped" not in ack for ack in await stroke(bob))

    # Reset: a new, empty sheet; the wall and every phone are told at once.
    url = await curator.act("/admin/core/sheet/reset/", {"next": "/admin/"})
    assert url.endswith("/admin/")
    await until(lambda: wall.of("reset"), what="the wall's reset")
    new_sheet = wall.of("reset")[-1]["sheet"]
    assert new_sheet > sheet
    for phone in (alice, bob):
        await until(lambda p=phone: {"type": "reset", "sheet": new_sheet} in p.other, what="reset")
    body = sheet_body(server)
    assert (body["sheet"], body["strokes"]) == (new_sheet, [])
    archived = f"/projector/sheet/{sheet}/"
    # Bob's three strokes (the paused one was dropped); storage lags by a flush.
    await until(lambda: len(sheet_body(server, archived)["strokes"]) == 3, what="the archive")
    assert sheet_body(server, archived)["current"] is False

    for phone in (alice, bob):
        await phone.close()
    await wall.close()


@pytest.mark.timeout(120)
async def test_settings_change_reaches_every_worker_through_redis(start_server, redis_server):
    server = start_server(workers=2, redis_url=redis_server.url)
    curator = Curator(server)
    await curator.login()
    wall = await WallListener(server).connect()
    phones = [PhoneClient(server.ws, server.origin) for _ in range(16)]
    await asyncio.gather(*(p.connect() for p in phones))
    await asyncio.gather(*(stroke(p, 0.05 + 0.05 * i) for i, p in enumerate(phones)))
    keys = set().union(*(p.accepted() for p in phones))
    await until(lambda: keys <= wall.origin_of().keys(), what="every segment on the wall")
    origin_of = wall.origin_of()
    origins = {p.client: origin_of[f"{p.client}:1"] for p in phones}
    if len(set(origins.values())) < 2:
        pytest.skip("the kernel gave every phone to one worker")

    # The admin (one worker answers it) saves new settings: a tiny ink tank.
    exhibit = {
        "title": "Live",
        "invitation": "Draw.",
        "aspect_ratio": "1.7777",
        "palette": '["#f94144", "#277da1"]',
        "brushes": "[0.006, 0.012]",
        "background": "#101010",
        "ink_rate": "1",
        "ink_burst": "5",
        "max_points": "64",
        "max_messages": "60",
        "wall_budget": "4000",
        "max_drawing": "200",
        "max_connections_per_device": "3",
        "fade_seconds": "30",
        "attract_seconds": "120",
        "_save": "Save",
    }
    await curator.act("/admin/core/exhibit/1/change/", exhibit)

    def told(phone: PhoneClient) -> dict | None:
        return next((m for m in phone.other if m.get("type") == "exhibit"), None)

    await until(lambda: all(told(p) for p in phones), timeout=15, what="every phone told")
    for phone in phones:
        assert told(phone)["limits"]["ink_burst"] == 5
        assert told(phone)["exhibit"]["palette"] == ["#f94144", "#277da1"]
    await until(lambda: wall.of("exhibit"), what="the wall told")
    assert wall.of("exhibit")[-1]["exhibit"]["fade_seconds"] == 30
    # Both processes now hold the new limit: 30 points no longer fit in the tank.
    for phone in phones:
        line = [[0.5, 0.01 * i] for i in range(30)]
        ack = await phone.wait_acked(await phone.start(line, color="#277da1", width=0.012))
        assert ack.get("dropped") == "out_of_ink", origins[phone.client]
    for phone in phones:
        await phone.close()
    await wall.close()


CRAFTED = [
    {"type": "reset"},
    {"type": "reset", "sheet": 999},
    {"type": "pause"},
    {"type": "pause", "paused": True},
    {"type": "state", "state": "paused"},
    {"type": "block", "device": "DEVICE"},
    {"type": "remove", "device": "DEVICE"},
    {"type": "exhibit", "exhibit": {"paused": True, "ink_burst": 1}},
    {"type": "exhibit.changed"},
    {"type": "wall.message", "text": '{"type": "reset", "sheet": 999}'},
    {"type": "redraw", "sheet": 1, "reason": "removed"},
    {
        "type": "view",
        "sheet": 1,
        "strokes": [{"color": "#000000", "width": 0.1, "points": [[0.9, 0.9]]}],
    },
    {"type": "admin", "action": "reset"},
    {"type": "hello", "client": "k3J9a0Qm", "last_seq": 0, "admin": True, "action": "reset"},
]


async def send_crafted(phone: PhoneClient, message: dict) -> None:
    """Send a crafted message with the next seq and wait for its answer. A refusal
    without a `seq` consumed nothing (protocol: "Errors without a seq"), so the next
    message carries the same seq again."""
    errors = len(phone.errors)
    seq = await phone.send(message)
    with contextlib.suppress(TimeoutError):
        await until(lambda: len(phone.errors) > errors or seq in phone.acks, timeout=3)
    if len(phone.errors) > errors and "seq" not in phone.errors[-1]:
        phone.seq -= 1


@pytest.mark.timeout(60)
async def test_crafted_messages_from_phones_and_walls_trigger_nothing(start_server):
    server = start_server(workers=1)
    wall = await WallListener(server).connect()
    victim = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    # Two attackers: one sends the payloads bare, one with a seq (each stays under the
    # bad-message limit that would close it).
    bare = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    attacker = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    for phone in (victim, bare, attacker):
        await phone.connect()
    await stroke(victim)
    before = sheet_body(server)
    await until(lambda: sheet_body(server)["strokes"], what="the victim's stroke stored")
    for message in CRAFTED:
        text = json.dumps(message).replace("DEVICE", device_of(victim))
        await bare.ws.send(text)
        await wall.ws.send(text)
        await send_crafted(attacker, json.loads(text))
    for phone in (bare, attacker):
        await phone.wait_acked(await phone.send({"type": "ping"}))
    await asyncio.sleep(1.0)
    after = sheet_body(server)
    assert after["sheet"] == before["sheet"], "no reset"
    assert after["exhibit"] == before["exhibit"]
    assert {s["device"] for s in after["strokes"]} == {device_of(victim)}, "nothing removed"
    assert not wall.of("reset") and not wall.of("redraw") and not wall.of("exhibit")
    assert victim.ws.close_code is None, "not blocked"
    # Only the wall's view, of the victim's own stroke (x = 0.5), never a crafted one.
    heard = [m for m in victim.other if m["type"] != "view"]
    assert not victim.states and not heard, "the victim heard of nothing"
    viewed = {p[0] for m in victim.other for s in m.get("strokes", ()) for p in s["points"]}
    assert viewed <= {0.5}, "no crafted view reached the victim"
    assert all("dropped" not in ack for ack in await stroke(victim)), "not paused"
    for phone in (bare, attacker):
        assert phone.errors, "crafted messages are answered as protocol errors"
        # client_taken: a crafted hello names a client another phone's hello claimed.
        refusals = {"bad_shape", "bad_type", "bad_number", "client_taken"}
        assert {e["code"] for e in phone.errors} <= refusals
    snapshot = json.loads(
        server.manage(
            "shell",
            "-c",
            "import json; from core.exhibit import exhibit_snapshot_load as l; "
            "print(json.dumps(l().as_dict()))",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert snapshot["paused"] is False and snapshot["blocked"] == []
    assert snapshot["sheet"] == before["sheet"] and snapshot["ink_burst"] == 480
    for phone in (victim, bare, attacker):
        await phone.close()
    await wall.close()


async def draw_until_stopped(phone: PhoneClient, stop: asyncio.Event, index: int) -> None:
    try:
        while not stop.is_set():
            line = [[0.1 + 0.02 * index, 0.1 + 0.001 * phone.seq]] * 3
            await phone.start(line)
            for _ in range(5):
                await phone.points(line)
                await asyncio.sleep(1 / 30)
            await phone.end(line[:1])
            await asyncio.sleep(1 / 30)
    except websockets.ConnectionClosed:
        pass


@pytest.mark.database
@pytest.mark.timeout(120)
async def test_sigterm_mid_drawing_stores_every_acked_segment(start_server, request):
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    database_url = request.getfixturevalue("postgres_url") if postgres else None
    # An ack now means "stored" (docs/protocol.md), so storage must flush while the
    # phones draw; the test stands on SIGTERM losing nothing that was acked and on the
    # process exiting cleanly. (It used to hold every flush until shutdown, when an
    # ack meant only "handled".)
    server = start_server(workers=1, database_url=database_url)
    phones = [PhoneClient(server.ws, server.origin) for _ in range(12)]
    await asyncio.gather(*(p.connect() for p in phones))
    stop = asyncio.Event()
    drawing = [asyncio.create_task(draw_until_stopped(p, stop, i)) for i, p in enumerate(phones)]
    await until(lambda: sum(len(p.acks) for p in phones) > 600, timeout=30, what="drawing")
    code = await asyncio.to_thread(server.stop, signal.SIGTERM)
    stop.set()
    await asyncio.gather(*drawing)
    for phone in phones:
        await phone.close()
    assert code in (0, -signal.SIGTERM), server.log()  # uvicorn re-raises the signal
    acked = set().union(*(p.accepted() for p in phones))
    assert len(acked) > 600
    if postgres:
        import psycopg

        with psycopg.connect(database_url) as db:
            rows = db.execute("SELECT client, seq FROM projector_segment").fetchall()
        stored = {f"{client}:{seq}" for client, seq in rows}
    else:
        stored = stored_keys(server.env["SQLITE_PATH"])
    missing = acked - stored
    assert not missing, f"{len(missing)} acked segments lost of {len(acked)}\n{server.log()}"
