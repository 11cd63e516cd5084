"""The phone and wall consumers through channels.testing.WebsocketCommunicator."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from controller import consumers
from controller.devices import device_sign
from core import close_codes
from core.models import Device, Exhibit, Segment, Sheet
from installation.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database]

ORIGIN = (b"origin", b"http://localhost")


def phone(device: str | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN, (b"host", b"localhost")]
    if device:
        headers.append((b"cookie", f"wall_device={device_sign(device)}".encode()))
    return WebsocketCommunicator(application, "/ws/draw/", headers=headers)


def wall() -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, "/ws/wall/", headers=[ORIGIN, (b"host", b"localhost")]
    )


async def hello(comm, client="client-one") -> dict:
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "hello", "client": client})
    return await next_of(comm, "welcome")


async def next_of(comm, kind: str, timeout: float = 2) -> dict:
    while True:
        message = json.loads(await comm.receive_from(timeout))
        if message["type"] == kind:
            return message


def start(seq, stroke=1, points=((0.1, 0.1),), color="#f94144", width=0.006):
    return {"type": "start", "seq": seq, "stroke": stroke, "color": color, "width": width,
            "points": [list(p) for p in points]}  # fmt: skip


async def test_a_stroke_is_acknowledged_and_reaches_the_wall(runtime):
    w = wall()
    assert (await w.connect())[0]
    assert (await next_of(w, "hello"))["sheet"] == runtime.exhibit.sheet
    p = phone("d_phone1")
    welcome = await hello(p)
    assert welcome["device"] == "d_phone1" and welcome["acked"] == 0
    assert welcome["limits"]["ink_burst"] == runtime.exhibit.ink_burst
    await p.send_json_to(start(1, points=[(0.1, 0.1), (0.2, 0.2)]))
    await p.send_json_to({"type": "end", "seq": 2, "stroke": 1, "points": [[0.3, 0.3]]})
    acks = [await next_of(p, "ack")]
    while acks[-1]["seq"] < 2:
        acks.append(await next_of(p, "ack"))
    assert acks[-1]["seq"] == 2, "acks are cumulative: one may cover both messages"
    assert len(acks) <= 2
    frame = await next_of(w, "frame")
    keys = [s["key"] for s in frame["segments"]]
    while len(keys) < 2:
        keys += [s["key"] for s in (await next_of(w, "frame"))["segments"]]
    assert keys == ["client-one:1", "client-one:2"]
    await p.disconnect()
    await w.disconnect()


async def frame_seqs(comm, quiet: float = 0.5) -> list[int]:
    """The seqs of the frames a wall gets until it has been quiet for `quiet` s."""
    seqs = []
    while not await comm.receive_nothing(quiet):
        message = await comm.receive_json_from()
        if message["type"] == "frame":
            seqs.append(message["seq"])
    return seqs


async def test_a_wall_on_this_process_gets_each_frame_once_and_without_the_layer(
    runtime, monkeypatch
):
    w = wall()
    assert (await w.connect())[0]
    await next_of(w, "hello")
    p = phone("d_local")
    await hello(p)
    await p.send_json_to(start(1))
    first = await frame_seqs(w)
    assert first and len(first) == len(set(first)), "the layer's copy was not sent again"

    async def layer_down(*args, **kwargs):
        raise ConnectionError("redis is restarting")

    monkeypatch.setattr(runtime.layer, "group_send", layer_down)
    await p.send_json_to({"type": "points", "seq": 2, "stroke": 1, "points": [[0.5, 0.5]]})
    assert await frame_seqs(w) == [first[-1] + 1], "drawn while the layer is down"
    await p.disconnect()
    await w.disconnect()


async def test_a_wall_skips_the_layer_copy_of_its_own_process_frames(runtime):
    w = wall()
    assert (await w.connect())[0]
    await next_of(w, "hello")
    frame = '{"type": "frame", "origin": "%s", "seq": 1, "sheet": 1, "segments": []}'
    for origin in (runtime.origin, "elsewhere"):
        await runtime.layer.group_send(
            "projector", {"type": "wall.frame", "texts": [frame % origin], "origin": origin}
        )
    assert (await next_of(w, "frame"))["origin"] == "elsewhere", "its own copy was skipped"
    assert await w.receive_nothing(0.3)
    await w.disconnect()


async def test_a_resent_message_is_acknowledged_but_not_drawn_twice(runtime):
    p = phone("d_phone1")
    await hello(p)
    await p.send_json_to(start(1))
    await next_of(p, "ack")
    await p.disconnect()
    again = phone("d_phone1")
    welcome = await hello(again)
    assert welcome["acked"] == 1, "the server tells the phone what it already has"
    await again.send_json_to(start(1))
    assert (await next_of(again, "ack"))["seq"] == 1
    assert runtime.mixer.points_in == 1
    await again.disconnect()


async def test_bad_messages_get_a_code_and_the_connection_goes_on(runtime):
    p = phone("d_phone1")
    await hello(p)
    await p.send_to(text_data="{not json")
    assert (await next_of(p, "error"))["code"] == "bad_json"
    await p.send_json_to(start(1, points=[(2, 2)]))
    error = await next_of(p, "error")
    assert (error["code"], error["seq"]) == ("bad_point", 1)
    await p.send_json_to({"type": "points", "seq": 2, "stroke": 99, "points": [[0, 0]]})
    assert (await next_of(p, "error"))["code"] == "unknown_stroke"
    await p.send_json_to(start(3))
    assert (await next_of(p, "ack"))["seq"] == 3
    assert runtime.violations["bad_json"] == 1
    await p.disconnect()


async def test_strokes_before_hello_are_refused(runtime):
    p = phone()
    assert (await p.connect())[0]
    await p.send_json_to(start(1))
    assert (await next_of(p, "error"))["code"] == "no_hello"
    await p.disconnect()


async def test_binary_frames_are_refused_then_closed(runtime):
    p = phone()
    await hello(p)
    for _ in range(2):
        await p.send_to(bytes_data=b"\x00\xff")
        assert (await next_of(p, "error"))["code"] == "binary_frame"
    await p.send_to(bytes_data=b"\x00\xff")
    assert (await p.receive_output(2))["code"] == close_codes.UNSUPPORTED_DATA


async def test_a_connection_that_never_says_hello_is_closed(runtime, monkeypatch):
    monkeypatch.setattr(consumers, "HELLO_TIMEOUT", 0.1)
    p = phone()
    assert (await p.connect())[0]
    assert (await p.receive_output(2))["code"] == close_codes.NO_HELLO


async def test_a_message_flood_is_rate_limited_then_closed(runtime):
    p = phone("d_flood")
    await hello(p)
    limit = runtime.exhibit.max_messages
    for seq in range(1, limit + 30):
        await p.send_json_to({"type": "ping", "seq": seq})
    codes = []
    while True:
        output = await p.receive_output(2)
        if output["type"] == "websocket.close":
            break
        codes.append(json.loads(output["text"]).get("code"))
    assert output["code"] == close_codes.POLICY_VIOLATION
    assert codes.count("rate_limited") > 20
    assert limit - 1 <= runtime.acks.get("client-one").handled <= limit + 30


async def test_out_of_ink_drops_whole_segments_and_says_so(runtime):
    p = phone("d_greedy")
    await hello(p)
    full = int(runtime.exhibit.ink_burst) // 60  # messages a full bucket pays for
    last = full + 3
    for seq in range(1, last + 1):
        await p.send_json_to(start(seq, stroke=seq, points=[(0.5, 0.5)] * 60))
    dropped, ack = set(), {"seq": 0}
    while ack["seq"] < last:  # acks are cumulative; a drop is acknowledged alone
        ack = await next_of(p, "ack")
        if ack.get("dropped"):
            assert ack["dropped"] == "out_of_ink"
            dropped.add(ack["seq"])
    assert dropped and min(dropped) > full
    assert runtime.mixer.points_in == (last - len(dropped)) * 60, "no half segments"
    await p.disconnect()


async def test_a_blocked_phone_is_told_and_closed(runtime):
    await Device.objects.acreate(id="d_bad", blocked=True)
    await runtime.reload()
    p = phone("d_bad")
    assert (await p.connect())[0]
    assert json.loads(await p.receive_from(2)) == {"type": "state", "state": "blocked"}
    assert (await p.receive_output(2))["code"] == close_codes.BLOCKED


async def test_too_many_connections_from_one_phone(runtime):
    cap = runtime.exhibit.max_connections_per_device
    tabs = [phone("d_tabs") for _ in range(cap)]
    for tab in tabs:
        await hello(tab)
    extra = phone("d_tabs")
    assert (await extra.connect())[0]
    assert (await next_of(extra, "error"))["code"] == "too_many_connections"
    assert (await extra.receive_output(2))["code"] == close_codes.TOO_MANY_CONNECTIONS
    for tab in tabs:
        await tab.disconnect()


async def test_the_queue_lets_a_waiting_phone_in_when_one_leaves(runtime):
    await Exhibit.objects.filter(pk=1).aupdate(max_drawing=1)
    await runtime.reload()
    first, second = phone("d_first"), phone("d_second")
    await hello(first, "client-first")
    assert (await second.connect())[0]
    assert await second.receive_nothing(0.3), "only a phone that said hello takes a place"
    await second.send_json_to({"type": "hello", "client": "client-second"})
    welcome = json.loads(await second.receive_from(2))
    assert welcome["type"] == "welcome", "the welcome is the first answer to hello"
    assert (welcome["state"], welcome["position"]) == ("full", 1)
    await second.send_json_to(start(1))
    assert (await next_of(second, "ack"))["dropped"] == "full"
    await first.disconnect()
    assert await next_of(second, "state") == {"type": "state", "state": "live"}
    await second.send_json_to(start(2, stroke=2))
    assert "dropped" not in await next_of(second, "ack")
    await second.disconnect()


async def test_paused_drawing_is_acknowledged_but_not_drawn(runtime):
    await Exhibit.objects.filter(pk=1).aupdate(paused=True)
    await runtime.reload()
    p = phone("d_p")
    welcome = await hello(p)
    assert welcome["state"] == "paused"
    await p.send_json_to(start(1))
    assert (await next_of(p, "ack"))["dropped"] == "paused"
    await p.disconnect()


@pytest.mark.parametrize(
    "crafted",
    [
        {"type": "reset"},
        {"type": "pause"},
        {"type": "block", "device": "d_victim"},
        {"type": "exhibit.changed"},
        {"type": "remove", "device": "d_victim"},
        {"type": "wall.message", "text": '{"type": "reset"}'},
    ],
)
async def test_a_phone_cannot_trigger_curator_actions(runtime, crafted):
    sheet = runtime.exhibit.sheet
    p = phone("d_attacker")
    await hello(p)
    await p.send_json_to(crafted)
    assert (await next_of(p, "error"))["code"] == "bad_shape"
    await p.disconnect()
    assert await Sheet.objects.filter(ended_at__isnull=True).aget() == await Sheet.objects.aget(
        pk=sheet
    )
    assert not await Device.objects.filter(blocked=True).aexists()
    assert not (await Exhibit.objects.aget(pk=1)).paused
    assert not await Segment.objects.filter(removed=True).aexists()


async def test_a_wall_cannot_act_either(runtime):
    w = wall()
    assert (await w.connect())[0]
    await next_of(w, "hello")
    await w.send_json_to({"type": "reset"})
    await w.send_json_to({"type": "start", "seq": 1, "stroke": 1, "color": "#f94144",
                          "width": 0.006, "points": [[0, 0]]})  # fmt: skip
    await w.disconnect()
    assert runtime.mixer.points_in == 0
    assert await Sheet.objects.acount() == 1


async def test_reconnecting_does_not_refill_ink(runtime):
    p = phone("d_ink")
    await hello(p, "client-ink-1")
    for seq in range(1, 7):  # 360 points: far more than refills while storage commits
        await p.send_json_to(start(seq, stroke=seq, points=[(0.5, 0.5)] * 60))
    while (ack := await next_of(p, "ack"))["seq"] < 6:
        pass
    level = ack["ink"]
    await p.disconnect()
    again = phone("d_ink")
    welcome = await hello(again, "client-ink-2")  # a new page load, same phone
    assert welcome["ink"] < runtime.exhibit.ink_burst
    assert welcome["ink"] == pytest.approx(level, abs=runtime.exhibit.ink_rate * 0.5)
    await again.disconnect()


async def test_one_gap_gets_one_seq_gap_and_the_resend_fills_it(runtime):
    p = phone("d_gappy")
    await hello(p, "client-gappy")
    await p.send_json_to(start(1))
    for seq in (3, 4, 5):  # seq 2 was lost; 3 to 5 were in flight behind it
        await p.send_json_to(start(seq, stroke=seq))
    gap = await next_of(p, "error")
    assert (gap["code"], gap["expected"], "seq" in gap) == ("seq_gap", 2, False)
    for seq in (2, 3, 4, 5):
        await p.send_json_to(start(seq, stroke=seq))
    while (await next_of(p, "ack", timeout=5))["seq"] < 5:
        pass
    assert runtime.violations["seq_gap"] == 1, "the messages behind the gap said nothing"
    assert runtime.mixer.points_in == 5
    await p.disconnect()


async def test_phones_closed_for_garbage_leave_no_ghosts_in_the_line(runtime):
    await Exhibit.objects.filter(pk=1).aupdate(max_drawing=2)
    await runtime.reload()
    for n in range(6):
        ghost = phone(f"d_ghost{n}")
        await hello(ghost, f"client-ghost{n}")
        for _ in range(25):
            await ghost.send_to(text_data="{garbage")
        while (output := await ghost.receive_output(2))["type"] != "websocket.close":
            pass
        assert output["code"] == close_codes.POLICY_VIOLATION
    await asyncio.sleep(0.05)
    assert runtime.stats().phones == 0 and runtime.connections("d_ghost0") == 0
    honest = phone("d_honest")
    welcome = await hello(honest, "client-honest")
    assert welcome["state"] == "live", "the ghosts kept no place in the line"
    await honest.send_json_to(start(1))
    assert "dropped" not in await next_of(honest, "ack", timeout=5)
    await honest.disconnect()
