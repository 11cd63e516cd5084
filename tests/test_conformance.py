"""docs/protocol.md is the contract: each documented case, sent by the reference client
(docs/reference_client.py) to the real server started from the Procfile, gets exactly
the documented reply or close code.

The tables are the protocol's tables: one row a case. Most rows share one server
(module-scoped); the queue and the restart need servers of their own.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import signal
import sys
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from controller.devices import device_sign
from core.models import DEFAULT_BRUSHES, DEFAULT_PALETTE
from tests.clients import device_cookie
from tests.parts import ROOT, Server


def _reference_client():
    # docs/ is documentation, not a package: the file is loaded by its path, so no other
    # `docs` on sys.path (some distributions install one) can shadow it, and docs/ needs
    # no __init__.py. It is registered before it runs because dataclasses and typing
    # look a module up in sys.modules.
    spec = importlib.util.spec_from_file_location(
        "reference_client", ROOT / "docs" / "reference_client.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ref = _reference_client()
Phone = ref.Phone

BLOCKED = "d_conformance_blocked"
CAP = 3  # the exhibit's default max_connections_per_device
COLOR, WIDTH = DEFAULT_PALETTE[0], DEFAULT_BRUSHES[0]  # the exhibit's defaults


def prepared(code: str = "") -> Server:
    """A server whose database `code` changed before it started (the exhibit, its
    limits and blocked devices are loaded at start)."""
    # The hello timeout is short here, so the 4001 row does not wait 10 s.
    server = Server(env={"WALL_HELLO_TIMEOUT": "2"})
    if code:
        server.manage("shell", "-c", code)
    server.start()
    return server


@pytest.fixture(scope="module")
def server():
    """One server for most rows: each row is its own phone (a fresh device cookie)."""
    server = prepared(
        f"from core.models import Device; Device.objects.create(id={BLOCKED!r}, blocked=True)"
    )
    yield server
    server.close()


def cookie(server: Server) -> str:
    """A fresh device, as the phone page gives a browser: each row is its own phone."""
    return device_cookie(server.http)


async def phone(server: Server, cookie_header: str | None = None, hello: bool = True) -> Any:
    p = Phone(server.ws, server.origin, cookie_header or await asyncio.to_thread(cookie, server))
    await (p.connect() if hello else p.open())
    return p


def health(server: Server) -> dict:
    with urllib.request.urlopen(server.http + "/healthz", timeout=5) as response:
        return json.loads(response.read())


def sheet_keys(server: Server) -> dict[str, str]:
    """Stored segment key -> the device that drew it, from /projector/sheet/."""
    with urllib.request.urlopen(server.http + "/projector/sheet/", timeout=5) as response:
        sheet = json.loads(response.read())
    return {s["key"]: st["device"] for st in sheet["strokes"] for s in st["segments"]}


# -- the error table: one message after welcome, one reply -------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    send: list[Any]  # raw texts, bytes, or dicts (sent as JSON); seqs as written
    reply: dict[str, Any]  # fields the first error reply has
    absent: tuple[str, ...] = ()  # fields it must not have
    hello: bool = True


def start(seq: int = 1, **fields: Any) -> dict[str, Any]:
    base = {"type": "start", "seq": seq, "stroke": 1, "color": COLOR, "width": WIDTH}
    return {**base, "points": [[0.5, 0.5]], **fields}


def points(seq: int = 1, **fields: Any) -> dict[str, Any]:
    return {"type": "points", "seq": seq, "stroke": 1, "points": [[0.5, 0.5]], **fields}


def without(message: dict, name: str) -> dict:
    return {k: v for k, v in message.items() if k != name}


PTS = '{"type": "points", "seq": 1, "stroke": 1, "points": [[%s]]}'
NO_SEQ = ("seq",)
ERROR_ROWS = [
    Row("not JSON", ["{"], {"code": "bad_json"}, NO_SEQ),
    Row("NaN", [PTS % "NaN, 0.5"], {"code": "bad_json"}, NO_SEQ),
    Row("Infinity", [PTS % "Infinity, 0.5"], {"code": "bad_json"}, NO_SEQ),
    Row("1e999", [PTS % "1e999, 0.5"], {"code": "bad_json"}, NO_SEQ),
    Row("not an object", ["[1, 2]"], {"code": "bad_shape"}, NO_SEQ),
    Row("unknown type", [{"type": "dance"}], {"code": "bad_shape"}, NO_SEQ),
    Row("a curator action", [{"type": "reset"}], {"code": "bad_shape"}, NO_SEQ),
    Row("seq missing", [without(points(), "seq")], {"code": "bad_shape"}, NO_SEQ),
    Row("seq null", [points(seq=None)], {"code": "bad_shape"}, NO_SEQ),
    Row("seq a string", [points(seq="1")], {"code": "bad_type"}, NO_SEQ),
    Row("seq a fraction", [points(seq=1.5)], {"code": "bad_number"}, NO_SEQ),
    Row("seq 0", [{"type": "ping", "seq": 0}], {"code": "bad_number"}, NO_SEQ),
    Row("stroke missing", [without(points(), "stroke")], {"code": "bad_shape", "seq": 1}),
    Row("color missing", [without(start(), "color")], {"code": "bad_shape", "seq": 1}),
    Row("color null", [start(color=None)], {"code": "bad_shape", "seq": 1}),
    Row("color a number", [start(color=123)], {"code": "bad_type", "seq": 1}),
    Row("color not #rrggbb", [start(color="red")], {"code": "bad_color", "seq": 1}),
    Row("color off the palette", [start(color="#010203")], {"code": "bad_color", "seq": 1}),
    Row("width missing", [without(start(), "width")], {"code": "bad_shape", "seq": 1}),
    Row("width a string", [start(width="big")], {"code": "bad_type", "seq": 1}),
    Row("width too large", [start(width=0.5)], {"code": "bad_number", "seq": 1}),
    Row("width off the brushes", [start(width=0.0071)], {"code": "bad_width", "seq": 1}),
    Row("points missing", [without(points(), "points")], {"code": "bad_shape", "seq": 1}),
    Row("points null", [points(points=None)], {"code": "bad_shape", "seq": 1}),
    Row("points a string", [points(points="x")], {"code": "bad_type", "seq": 1}),
    Row("points empty", [start(points=[])], {"code": "bad_shape", "seq": 1}),
    Row("x outside 0..1", [start(points=[[1.5, 0.5]])], {"code": "bad_point", "seq": 1}),
    Row("y outside 0..1", [start(points=[[0.5, -0.1]])], {"code": "bad_point", "seq": 1}),
    Row("pressure outside", [start(points=[[0.5, 0.5, 1.5]])], {"code": "bad_number", "seq": 1}),
    Row("a point of one", [start(points=[[0.5]])], {"code": "bad_point", "seq": 1}),
    Row("a coordinate string", [start(points=[[0.5, "a"]])], {"code": "bad_type", "seq": 1}),
    Row("65 points", [start(points=[[0.5, 0.5]] * 65)], {"code": "too_many_points", "seq": 1}),
    Row("header half", [points(color=COLOR)], {"code": "bad_shape", "seq": 1}),
    Row("unknown stroke", [points(stroke=99)], {"code": "unknown_stroke", "seq": 1}),
    Row("undo, stroke missing", [{"type": "undo", "seq": 1}], {"code": "bad_shape", "seq": 1}),
    Row("undo, stroke a string", [{"type": "undo", "seq": 1, "stroke": "1"}],
        {"code": "bad_type", "seq": 1}),
    Row("undo of a stroke never drawn", [{"type": "undo", "seq": 1, "stroke": 7}],
        {"code": "not_yours", "seq": 1}),
    Row("undo, seq jump", [{"type": "undo", "seq": 9, "stroke": 1}],
        {"code": "seq_gap", "expected": 1}, NO_SEQ),
    Row("a binary frame", [b"\x00\xff"], {"code": "binary_frame"}, NO_SEQ),
    Row("seq jump", [{"type": "ping", "seq": 2**31}], {"code": "seq_gap", "expected": 1}, NO_SEQ),
    Row("seq gap", [start(1), points(5)], {"code": "seq_gap", "expected": 2}, NO_SEQ),
    Row("gap before content", [start(3, points=[[2, 2]])], {"code": "seq_gap"}, NO_SEQ),
    Row("no hello", [start(1)], {"code": "no_hello"}, NO_SEQ, hello=False),
    Row("ping before hello", [{"type": "ping", "seq": 1}], {"code": "no_hello"}, NO_SEQ, False),
    Row("hello, bad client", [{"type": "hello", "client": "x"}], {"code": "bad_shape"}, NO_SEQ,
        False),
    Row("hello, client null", [{"type": "hello", "client": None}], {"code": "bad_shape"}, NO_SEQ,
        False),
]  # fmt: skip


@pytest.mark.parametrize("row", ERROR_ROWS, ids=[row.name for row in ERROR_ROWS])
async def test_error_table(server, row: Row):
    p = await phone(server, hello=row.hello)
    since = len(p.received)
    for message in row.send:
        await p.send_raw(message)
    reply = await p.next_reply(("error",), since=since)
    assert {k: reply.get(k) for k in row.reply} == row.reply, reply
    assert not set(row.absent) & reply.keys(), reply
    assert reply.get("detail"), "every error says what is wrong"
    if not row.hello:
        assert (await p.hello())["acked"] == 0, "nothing was consumed before hello"
    await p.close()


async def test_welcome_is_the_first_reply_and_a_ping_is_acknowledged(server):
    p = await phone(server, hello=False)
    await p.hello()
    assert p.received[0]["type"] == "welcome", p.received
    assert {"device", "client", "acked", "state", "exhibit", "limits", "ink"} <= p.welcome.keys()
    seq = await p.ping()
    await p.wait_acked(seq)
    jump = len(p.received)
    await p.send_raw({"type": "ping", "seq": 2**31})
    assert (await p.next_reply(("error",), since=jump))["expected"] == seq + 1
    await p.close()
    again = Phone(server.ws, server.origin, p.headers["Cookie"], client=p.client)
    assert (await again.connect())["acked"] == seq, "a seq cannot jump (last_seq 0)"
    await again.close()


async def test_resending_from_expected_after_a_gap_draws_everything(server):
    p = await phone(server)
    first = await p.start(1, COLOR, WIDTH, [(0.1, 0.1)])
    lost = p.last_seq + 1
    p.outbox[lost] = {"type": "points", "seq": lost, "stroke": 1, "points": [[0.2, 0.2]]}
    p.last_seq = lost  # as if `lost` went missing: the next one jumps
    last = await p.end(1, [(0.3, 0.3)])
    await p.wait_acked(last)
    assert any(m.get("code") == "seq_gap" for m in p.received), "the jump was refused"
    keys = sheet_keys(server)
    assert {f"{p.client}:{s}" for s in (first, lost, last)} <= keys.keys(), "acked = stored"
    await p.close()


# -- close codes, each followed by a release check -----------------------------------


async def released(server: Server, cookie_header: str | None) -> None:
    """Every connection is released: /healthz counts no phone connected or drawing (the
    walls' presence is made from the same registers), and the device may open its whole cap of
    connections again (unless it is blocked: None)."""
    for _ in range(100):
        process = health(server)["process"]
        if process["phones"] == process["drawing"] == 0:
            break
        await asyncio.sleep(0.05)
    assert (process["phones"], process["drawing"]) == (0, 0), "a closed connection still counts"
    if cookie_header is None:
        return
    tabs = [await phone(server, cookie_header) for _ in range(CAP)]
    for tab in tabs:
        await tab.close()


async def closed_by(p: Any, messages: list[Any]) -> tuple[int | None, list[dict]]:
    since = len(p.received)
    try:
        for message in messages:
            await p.send_raw(message)
    except ref.websockets.ConnectionClosed:
        pass  # closed while we were still sending: the close code says why
    code = await p.closed()
    return code, p.received[since:]


async def test_close_1003_binary_frames_repeated(server):
    p = await phone(server)
    code, replies = await closed_by(p, [b"\x00\xff"] * 3)
    assert code == 1003
    assert [r["code"] for r in replies] == ["binary_frame"] * 2
    await released(server, p.headers["Cookie"])


async def test_close_1008_a_flood(server):
    p = await phone(server)
    flood = [json.dumps({"type": "ping", "seq": seq}) for seq in range(1, 121)]
    code, replies = await closed_by(p, flood)
    assert code == 1008
    assert sum(r.get("code") == "rate_limited" for r in replies) > 20
    await released(server, p.headers["Cookie"])


async def test_close_1008_garbage(server):
    p = await phone(server)
    code, replies = await closed_by(p, ["{"] * 30)
    assert code == 1008
    assert all(r.get("code") == "bad_json" for r in replies)
    await released(server, p.headers["Cookie"])


async def test_close_1009_an_oversized_frame(server):
    p = await phone(server)
    code, _ = await closed_by(p, [json.dumps({"type": "ping", "seq": 1, "pad": "x" * 17000})])
    assert code == 1009
    await released(server, p.headers["Cookie"])


async def test_close_4001_no_hello(server):
    p = await phone(server, hello=False)  # the server's hello timeout is 2 s (prepared)
    assert await p.closed(timeout=10) == 4001
    await released(server, p.headers["Cookie"])


async def test_close_4003_blocked(server):
    p = Phone(server.ws, server.origin, f"wall_device={device_sign(BLOCKED)}")
    await p.open()
    assert await p.closed() == 4003
    assert p.received == [{"type": "state", "state": "blocked"}]
    await released(server, None)


async def test_close_4029_too_many_connections(server):
    tabs = [await phone(server)]
    tabs += [await phone(server, tabs[0].headers["Cookie"]) for _ in range(CAP - 1)]
    extra = Phone(server.ws, server.origin, tabs[0].headers["Cookie"])
    with pytest.raises(ref.Closed) as closed:
        await extra.connect()
    assert closed.value.code == 4029
    error = extra.received[0]
    assert error["code"] == "too_many_connections" and "seq" not in error
    assert error["detail"] == f"this device already has {CAP} open connections"
    for tab in tabs:
        await tab.close()
    await released(server, tabs[0].headers["Cookie"])


# -- identity: a client id belongs to the device that first said hello with it ----------


async def test_a_client_id_cannot_be_taken_and_the_victim_keeps_drawing(server):
    victim = await phone(server)
    drawn = [await victim.start(1, COLOR, WIDTH, [(0.1, 0.1)])]
    drawn.append(await victim.points(1, [(0.2, 0.2)]))
    await victim.wait_acked(drawn[-1])

    thief = await phone(server, hello=False)  # another device
    since = len(thief.received)
    await thief.send_raw({"type": "hello", "client": victim.client, "last_seq": 0})
    taken = await thief.next_reply(("welcome", "error"), since=since)
    assert taken["code"] == "client_taken" and "seq" not in taken and taken["detail"]
    since = len(thief.received)
    await thief.send_raw({"type": "ping", "seq": 2**31})  # un-welcomed: consumes nothing
    assert (await thief.next_reply(("error",), since=since))["code"] == "no_hello"
    assert (await thief.hello())["client"] == thief.client, "its own id, same connection"

    await victim.close()  # the claim outlives the victim's connection
    again = Phone(server.ws, server.origin, thief.headers["Cookie"], client=victim.client)
    await again.connect()  # the reference client takes a new id after client_taken
    assert again.client != victim.client
    assert any(m.get("code") == "client_taken" for m in again.received)

    assert (await victim.connect())["acked"] == drawn[-1], "the victim comes back"
    drawn.append(await victim.points(1, [(0.3, 0.3)]))
    drawn.append(await victim.end(1, [(0.4, 0.4)]))
    await victim.wait_acked(drawn[-1])
    acks = [m["seq"] for m in victim.received if m["type"] == "ack"]
    assert max(acks) <= victim.last_seq, "no ack for a seq the victim never sent"
    assert not any("dropped" in m for m in victim.received), "every message was drawn"
    keys = sheet_keys(server)
    owners = {keys.get(f"{victim.client}:{seq}") for seq in drawn}
    assert owners == {victim.welcome["device"]}, "all on the sheet, as the victim's"
    for p in (thief, again, victim):
        await p.close()


# -- drawing places are taken at hello ----------------------------------------------------


async def test_only_a_phone_that_said_hello_takes_a_place():
    server = prepared(
        "from core.models import Exhibit; "
        "Exhibit.objects.update_or_create(pk=1, defaults={'max_drawing': 1})"
    )
    try:
        silent = await phone(server, hello=False)  # connected, never says hello
        first = await phone(server)
        assert first.received[0]["type"] == "welcome" and first.welcome["state"] == "live"
        second = await phone(server)
        assert second.received[0]["type"] == "welcome", "welcome is the first reply to hello"
        assert (second.welcome["state"], second.welcome["position"]) == ("full", 1)
        since = len(second.received)
        await first.close()
        assert (await second.next_reply(("state",), since=since))["state"] == "live"
        assert silent.received == [], "no state notice before welcome"
        for p in (silent, second):
            await p.close()
    finally:
        server.close()


# -- a stroke survives a restart of the server -------------------------------------------


async def test_an_open_stroke_continues_after_a_restart_with_its_header(start_server):
    server = start_server()
    p = await phone(server)
    drawn = [await p.start(1, COLOR, WIDTH, [(0.1, 0.1)]), await p.points(1, [(0.2, 0.2)])]
    await p.wait_acked(drawn[-1])
    server.stop()
    assert await p.closed() == 1012, "SERVICE_RESTART: reconnect"
    await asyncio.to_thread(server.start)
    assert (await p.connect())["acked"] == drawn[-1], "the stored seq survives the restart"
    since = len(p.received)
    drawn += [await p.points(1, [(0.3, 0.3)]), await p.end(1, [(0.4, 0.4)])]
    await p.wait_acked(drawn[-1])
    assert not [m for m in p.received[since:] if m["type"] == "error"], p.received[since:]
    assert {f"{p.client}:{seq}" for seq in drawn} <= sheet_keys(server).keys()
    await p.close()


# -- a busy process asks for fewer, fuller messages ----------------------------------------


@pytest.fixture
def busy_server():
    """A server of its own with a budget of 30 messages a second (one phone at its own
    pace fills it): the pace is per process and remembers the last second."""
    server = Server(env={"WALL_MESSAGE_BUDGET": "30"})
    server.start()
    yield server
    server.close()


async def drawing_phones(server: Server, count: int) -> list:
    """`count` phones, each with a stroke started."""
    phones = [await phone(server) for _ in range(count)]
    for stroke, p in enumerate(phones, start=1):
        await p.start(stroke, COLOR, WIDTH, [[0.5, 0.5]])
    return phones


async def test_the_pace_is_asked_as_soon_as_the_crowd_outgrows_the_budget(busy_server):
    phones = await drawing_phones(busy_server, 2)  # the second outgrows the budget
    # Nothing more is sent, so no window ends: the ask comes all the same.
    for p in phones:
        for _ in range(50):
            if any(m.get("pace") == 70 for m in p.received if m["type"] == "ack"):
                break
            await asyncio.sleep(0.1)
        assert p.pace == 70  # 30 a second for 2 phones: one each 66.7 ms
        await p.close()


async def test_acks_carry_pace_while_the_process_is_busy_and_drop_it_when_quiet(busy_server):
    phones = await drawing_phones(busy_server, 3)
    await asyncio.sleep(1.1)  # the window in which three phones sent ends
    seq = await phones[0].points(1, [[0.6, 0.6]])
    await phones[0].wait_acked(seq)
    ack = [m for m in phones[0].received if m["type"] == "ack"][-1]
    assert ack["pace"] == 100  # 30 a second shared by 3 phones: one each 100 ms
    assert phones[0].pace == 100
    await asyncio.sleep(2.2)  # a quiet spell: the crowd has gone
    seq = await phones[0].end(1, [[0.7, 0.7]])
    await phones[0].wait_acked(seq)
    ack = [m for m in phones[0].received if m["type"] == "ack"][-1]
    assert "pace" not in ack and phones[0].pace == 0
    for p in phones:
        await p.close()


# -- undo: a phone takes back its own stroke ----------------------------------------------


async def wall_socket(server: Server):
    return await websockets.connect(
        server.ws + "/ws/wall/", additional_headers={"Origin": server.origin}, proxy=None
    )


async def next_of(ws, kind: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message


async def test_undo_hides_the_stroke_even_in_flight_and_walls_hear_remove(server):
    wall = await wall_socket(server)
    hello = await next_of(wall, "hello")
    watcher = await phone(server)  # another phone: the stroke leaves its view too
    p = await phone(server)
    # Sent together: the stroke's segments are still on their way to storage when the
    # undo arrives; none of them may show up later.
    drawn = [await p.start(1, COLOR, WIDTH, [(0.1, 0.1)]), await p.points(1, [(0.2, 0.2)])]
    drawn.append(await p.end(1, [(0.3, 0.3)]))
    undo = await p.undo(1)
    await p.wait_acked(undo)
    assert not [m for m in p.received if m["type"] == "error"], p.received
    removed = await next_of(wall, "remove")
    assert removed == {"type": "remove", "sheet": hello["sheet"], "strokes": [f"{p.client}:1"]}
    told = await watcher.next_reply(("remove",), since=0)
    assert told == removed, "phones hear the same remove as walls"
    body = await asyncio.to_thread(view_body, server)
    assert f"{p.client}:1" not in {s["stroke"] for s in body["strokes"]}
    await watcher.close()
    keys = sheet_keys(server)
    assert not {f"{p.client}:{seq}" for seq in drawn} & keys.keys(), "hidden once acked"
    await asyncio.sleep(1.0)  # storage flushes several times a second: still hidden
    assert not {f"{p.client}:{seq}" for seq in drawn} & sheet_keys(server).keys()

    since = len(p.received)
    again = await p.undo(1)  # a second press: nothing to do, acknowledged
    more = await p.send({"type": "points", "stroke": 1, "points": [[0.5, 0.5]],
                         "color": COLOR, "width": WIDTH})  # fmt: skip
    await p.wait_acked(more)
    errors = [(m["code"], m["seq"]) for m in p.received[since:] if m["type"] == "error"]
    assert errors == [("unknown_stroke", more)], "a stroke taken back takes no more points"
    assert again < more
    await p.close()
    await wall.close()


async def test_no_device_can_undo_another_phones_stroke(server):
    victim = await phone(server)
    drawn = [await victim.start(1, COLOR, WIDTH, [(0.6, 0.6)]), await victim.end(1)]
    await victim.wait_acked(drawn[-1])

    other = await phone(server)  # another device: its client never drew stroke 1
    since = len(other.received)
    undo = await other.undo(1)
    refused = await other.next_reply(("error",), since=since)
    assert (refused["code"], refused["seq"]) == ("not_yours", undo) and refused["detail"]
    # With the victim's client id it cannot even say hello.
    thief = await phone(server, cookie_header=other.headers["Cookie"], hello=False)
    since = len(thief.received)
    await thief.send_raw({"type": "hello", "client": victim.client, "last_seq": 0})
    assert (await thief.next_reply(("error",), since=since))["code"] == "client_taken"
    keys = sheet_keys(server)
    assert {f"{victim.client}:{s}" for s in drawn} <= keys.keys(), "the stroke stays"
    for p in (victim, other, thief):
        await p.close()


async def test_undo_more_than_ten_seconds_after_the_stroke_is_too_late(server):
    p = await phone(server)
    drawn = [await p.start(1, COLOR, WIDTH, [(0.7, 0.7)]), await p.end(1)]
    await p.wait_acked(drawn[-1])
    await asyncio.sleep(12.5)  # 10 s and the 2 s the server allows for the way
    since = len(p.received)
    undo = await p.undo(1)
    refused = await p.next_reply(("error",), since=since)
    assert (refused["code"], refused["seq"]) == ("too_late", undo)
    assert {f"{p.client}:{s}" for s in drawn} <= sheet_keys(server).keys(), "the stroke stays"
    await p.close()


async def test_undo_after_a_restart_and_its_ack_survives_sigkill(start_server):
    server = start_server()
    p = await phone(server)
    kept = [await p.start(1, COLOR, WIDTH, [(0.1, 0.1)]), await p.end(1)]
    taken = [await p.start(2, COLOR, WIDTH, [(0.2, 0.2)]), await p.end(2)]
    await p.wait_acked(taken[-1])
    # A new process knows the stroke only from storage.
    server.stop()
    await p.closed()
    await asyncio.to_thread(server.start)
    await p.connect()
    undo = await p.undo(2)
    await p.wait_acked(undo)
    assert not [m for m in p.received if m["type"] == "error"], p.received
    # Acknowledged means stored: killed at once, the hide is still there after.
    server.stop(signal.SIGKILL)
    await p.closed()
    await asyncio.to_thread(server.start)
    keys = sheet_keys(server)
    assert {f"{p.client}:{s}" for s in kept} <= keys.keys(), "the other stroke stays"
    assert not {f"{p.client}:{s}" for s in taken} & keys.keys(), "the undone one stays hidden"
    await p.close()


def view_body(server: Server) -> dict:
    with urllib.request.urlopen(server.http + "/projector/view/", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())


def view_stroke_shape(stroke: dict) -> None:
    """One stroke of a `view` or of GET /projector/view/, as documented."""
    assert stroke.keys() == {"stroke", "color", "width", "points"}, stroke
    assert isinstance(stroke["stroke"], str) and ":" in stroke["stroke"], "its stroke key"
    assert stroke["color"].startswith("#") and len(stroke["color"]) == 7
    assert 0 < stroke["width"] <= 0.1
    assert stroke["points"], "a stroke in a view has at least one point"
    for point in stroke["points"]:
        assert len(point) == 2 and all(0 <= v <= 1 for v in point), point
        assert all(round(v, 3) == v for v in point), "3 decimals"


async def test_a_view_of_the_wall_shows_another_phones_stroke(server):
    watcher, drawer = await phone(server), await phone(server)
    assert watcher.welcome["exhibit"]["view"] is True, "the view is on unless switched off"
    since = len(watcher.received)
    path = [(0.111, 0.222), (0.3, 0.222), (0.555, 0.222)]
    await drawer.start(1, COLOR, WIDTH, path)  # one message: one piece in one view
    await drawer.end(1)
    await drawer.wait_acked(drawer.last_seq)

    view, seen = None, since  # other rows draw on this server too: find this stroke
    async with asyncio.timeout(10):
        while view is None:
            reply = await watcher.next_reply(("view",), since=seen)
            seen = watcher.received.index(reply) + 1
            if any(s["points"][0] == [0.111, 0.222] for s in reply["strokes"]):
                view = reply
    assert view.keys() == {"type", "sheet", "strokes"}
    assert view["sheet"] == watcher.welcome["sheet"]
    for stroke in view["strokes"]:
        view_stroke_shape(stroke)
    mine = next(s for s in view["strokes"] if s["points"][0] == [0.111, 0.222])
    assert (mine["color"], mine["width"], mine["points"][-1]) == (COLOR, WIDTH, [0.555, 0.222])
    assert mine["stroke"] == f"{drawer.client}:1"

    body = await asyncio.to_thread(view_body, server)
    assert body.keys() == {"sheet", "strokes"} and body["sheet"] == view["sheet"]
    for stroke in body["strokes"]:
        view_stroke_shape(stroke)
    assert any(s["points"][0] == [0.111, 0.222] for s in body["strokes"])
    await watcher.close()
    await drawer.close()


def _documented_wall_messages() -> list[str]:
    """The message types of docs/protocol.md's "Server → wall" section, in order."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("## Server → wall", 1)[1].split("\n## ", 1)[0]
    block = section.split("```json", 1)[1].split("```", 1)[0]
    return re.findall(r'^\{"type": "([a-z_.]+)"', block, flags=re.MULTILINE)


def test_every_documented_wall_message_has_a_handler_on_the_wall_page():
    documented = _documented_wall_messages()
    assert {"frame", "redraw", "resync", "remove"} <= set(documented), documented
    sync = (ROOT / "static" / "projector" / "sync.js").read_text()
    page = (ROOT / "static" / "projector" / "connection.js").read_text()
    for kind in documented:
        handled = f'case "{kind}":' in sync or f'message.type === "{kind}"' in page
        assert handled, f"the wall page does not handle {kind!r} (docs/protocol.md)"
