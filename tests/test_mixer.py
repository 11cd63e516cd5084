"""The Mixer: one frame per tick, whatever the channel layer does."""

import asyncio
import time

import orjson

from core.frames import AcceptedSegment
from projector.mixer import EAGER_FRAMES, EARLY_BURST, QUIET_POINTS, Mixer, early_frames


def seg(client: str, seq: int, n: int = 3, device: str = "d") -> AcceptedSegment:
    points = [(i / 10, i / 10) for i in range(n)]
    return AcceptedSegment(device, client, seq, 1, "#ff0066", 0.01, points, seq == 1, False, 0.0)


class Writer:
    def __init__(self) -> None:
        self.batches = []

    def submit(self, batch) -> None:
        self.batches.append(batch)


async def test_many_segments_become_one_frame_per_tick():
    sent: list[str] = []

    async def publish(texts: list[str]) -> None:
        sent.extend(texts)

    writer = Writer()
    mixer = Mixer(origin="o1", publish=publish, writer=writer, tick=0.01, sheet=3)
    mixer.start()
    for phone in range(50):
        mixer.add(seg(f"client{phone:04d}", 1))
    await asyncio.sleep(0.05)
    mixer.add(seg("client0000", 2))
    await asyncio.sleep(0.05)
    await mixer.stop()
    frames = [orjson.loads(t) for t in sent]
    assert [f["seq"] for f in frames] == [1, 2]
    assert len(frames[0]["segments"]) == 50 and frames[0]["sheet"] == 3
    assert frames[1]["segments"][0]["key"] == "client0000:2"
    assert [(b.origin, b.frame_seq, len(b.segments)) for b in writer.batches] == [
        ("o1", 1, 50),
        ("o1", 2, 1),
    ]


async def test_a_failing_channel_layer_drops_frames_but_keeps_mixing_and_storing():
    calls = 0

    async def publish(texts: list[str]) -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError("redis is restarting")

    writer = Writer()
    mixer = Mixer(origin="o1", publish=publish, writer=writer, tick=0.01)
    mixer.start()
    for i in range(1, 4):
        mixer.add(seg("clientAAAA", i))
        await asyncio.sleep(0.03)
    await mixer.stop()
    assert calls == 3 and mixer.frames_dropped == 3 and mixer.frames_sent == 0
    assert [b.frame_seq for b in writer.batches] == [1, 2, 3], "stored anyway, for resync"


async def test_frames_queued_behind_a_slow_publish_leave_together_in_order():
    calls: list[list[int]] = []
    slow = asyncio.Event()

    async def publish(texts: list[str]) -> None:
        calls.append([orjson.loads(t)["seq"] for t in texts])
        if len(calls) == 1:
            await slow.wait()  # the first round trip is slow

    mixer = Mixer(origin="o1", publish=publish, writer=None, tick=1)
    mixer.start()
    for i in range(1, 5):
        mixer.add(seg("clientAAAA", i))
        mixer.flush()
        await asyncio.sleep(0)
    slow.set()
    await asyncio.sleep(0.01)
    await mixer.stop()
    assert calls == [[1], [2, 3, 4]], "one layer message for the backlog, in seq order"
    assert mixer.frames_sent == 4 and mixer.frames_dropped == 0


async def test_this_process_walls_get_every_frame_even_while_the_layer_hangs():
    delivered: list[int] = []

    async def publish(texts: list[str]) -> None:
        await asyncio.sleep(3600)  # Redis is gone

    def deliver(text: str) -> None:
        delivered.append(orjson.loads(text)["seq"])

    mixer = Mixer(origin="o1", publish=publish, writer=None, deliver=deliver, tick=0.005,
                  queue_size=2)  # fmt: skip
    mixer.start()
    for i in range(1, 6):
        mixer.add(seg("clientAAAA", i))
        await asyncio.sleep(0.02)
    await mixer.stop()
    assert delivered == [1, 2, 3, 4, 5], "each frame once, in order, at its tick"
    assert mixer.frames_dropped >= 2, "the layer's queue overflowed meanwhile"


async def test_without_a_layer_to_publish_to_frames_only_go_to_this_process_walls():
    delivered: list[int] = []

    def deliver(text: str) -> None:
        delivered.append(orjson.loads(text)["seq"])

    mixer = Mixer(origin="o1", publish=None, writer=None, deliver=deliver, tick=0.005)
    mixer.start()
    assert len(mixer._tasks) == 1, "no publishing task"
    for i in range(1, 4):
        mixer.add(seg("clientAAAA", i))
        await asyncio.sleep(0.02)
    await mixer.stop()
    assert delivered == [1, 2, 3] and mixer.frames_sent == 3 and mixer.frames_dropped == 0


async def test_a_hanging_channel_layer_never_blocks_the_tick():
    async def publish(texts: list[str]) -> None:
        await asyncio.sleep(3600)

    mixer = Mixer(origin="o1", publish=publish, writer=None, tick=0.005, queue_size=2)
    mixer.start()
    for i in range(1, 10):
        mixer.add(seg("clientAAAA", i))
        await asyncio.sleep(0.01)
    assert mixer.seq == 9, "ticks went on while the layer hung"
    assert mixer.frames_dropped >= 6, "frames beyond the small queue were dropped"
    await mixer.stop()


async def test_the_budget_is_shared_per_tick():
    sent: list[str] = []

    async def publish(texts: list[str]) -> None:
        sent.extend(texts)

    mixer = Mixer(origin="o1", publish=publish, writer=None, tick=1, budget=30)
    for phone, n in (("a", 60), ("b", 10), ("c", 10)):
        mixer.add(seg(f"client{phone}aaa", 1, n=n, device=phone))
    (text,) = mixer.flush()
    frame = orjson.loads(text)
    counts = {s["device"]: len(s["points"]) for s in frame["segments"]}
    assert counts == {"a": 10, "b": 10, "c": 10}


async def test_a_lone_point_in_a_quiet_room_leaves_at_once():
    delivered: list[int] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=10.0,
                  deliver=lambda text: delivered.append(orjson.loads(text)["seq"]))  # fmt: skip
    mixer.start()
    await asyncio.sleep(0)  # the first tick (at start) has passed with nothing to send
    mixer.add(seg("client0001", 1))
    mixer.add(seg("client0002", 1))  # accepted in the same loop pass: the same frame
    await asyncio.sleep(0)
    assert delivered == [1], "left before the 10 s tick, as one frame"
    assert mixer.frames_at_once == 1
    await mixer.stop()


async def test_under_sustained_load_frames_still_leave_one_per_tick():
    delivered: list[int] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=0.2,
                  deliver=lambda text: delivered.append(orjson.loads(text)["seq"]))  # fmt: skip
    mixer.start()
    for seq in range(1, 201):  # four phones, a message each every 2.5 ms: 320 a tick
        for phone in range(4):
            mixer.add(seg(f"client000{phone}", seq))
        await asyncio.sleep(0.0025)
    await mixer.stop()
    # The first window's part and burst, and one that was due as its tick came.
    assert mixer.frames_at_once <= EAGER_FRAMES + EARLY_BURST + 1, "only the first window"
    assert len(delivered) < 800 / 20, "many messages a frame, not a frame a message"


async def test_a_few_phones_drawing_steadily_pay_no_batching_delay():
    delivered: list[int] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=0.2,
                  deliver=lambda text: delivered.append(orjson.loads(text)["seq"]))  # fmt: skip
    mixer.start()
    for seq in range(1, 31):  # a message every 50 ms: 4 a tick, never a quiet tick
        mixer.add(seg("client0001", seq))
        await asyncio.sleep(0)
        assert len(delivered) == seq, f"message {seq} waited for the tick"
        await asyncio.sleep(0.05)
    await mixer.stop()
    assert mixer.frames_at_once == 30


async def test_a_few_dozen_phones_leave_early_in_at_most_13_frames_a_tick():
    # 30 segments a tick (about 40 phones): far more than EAGER_FRAMES, under
    # QUIET_SEGMENTS. Each waits for the next early frame (tick / 13), not the tick.
    tick = 1.3
    loop = asyncio.get_running_loop()
    waits: list[float] = []
    added: dict[str, float] = {}
    frames: list[float] = []

    def deliver(text: str) -> None:
        now = loop.time()
        frames.append(now)
        waits.extend(now - added[s["key"]] for s in orjson.loads(text)["segments"])

    mixer = Mixer(origin="o1", publish=None, writer=None, tick=tick, deliver=deliver)
    mixer.start()
    began = loop.time()
    for seq in range(1, 61):
        added[f"client0001:{seq}"] = loop.time()
        mixer.add(seg("client0001", seq))
        await asyncio.sleep(tick / 30)
    await mixer.stop()
    windows = (loop.time() - began) / tick + 1
    assert len(waits) == 60
    assert max(waits) < tick / (EAGER_FRAMES + 1) + 0.1, "a segment waited for the tick"
    assert len(frames) <= (EAGER_FRAMES + 1) * windows, "more than 13 frames a tick"
    assert mixer.frames_at_once > EAGER_FRAMES, "both windows sent frames early"


def test_the_early_frames_are_shared_by_the_processes():
    assert [early_frames(n) for n in (0, 1, 2, 3, 4, 8, 12, 40)] == [12, 12, 6, 4, 3, 1, 1, 1]
    for processes in range(1, 13):  # the walls get at most 12 + W frames a tick
        assert processes * early_frames(processes) <= EAGER_FRAMES


async def test_a_process_sends_only_its_part_of_the_early_frames():
    tick = 1.3
    loop = asyncio.get_running_loop()
    frames: list[float] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=tick,
                  deliver=lambda text: frames.append(loop.time()))  # fmt: skip
    mixer.eager_frames = early_frames(4)  # one of four processes: 3 a tick
    mixer.start()
    began = loop.time()  # ticks at began + tick, + 2 tick, ...
    for seq in range(1, 67):  # 30 segments a tick: a quiet room, for 2.2 ticks
        mixer.add(seg("client0001", seq))
        await asyncio.sleep(tick / 30)
    await mixer.stop()
    second = [t for t in frames if began + tick - 0.01 <= t < began + 2 * tick - 0.05]
    # Its tick's frame, 3 early ones, and at most one more that a window's edges let in.
    assert 2 <= len(second) <= 3 + 1 + 1, "the second window: the tick's frame and 3 early"


async def test_few_full_messages_are_not_a_quiet_room():
    """Paced phones send few messages of many points: counted in points, a room of
    them is busy, and its frames wait for the tick like any busy room's."""
    delivered: list[int] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=0.2,
                  deliver=lambda text: delivered.append(orjson.loads(text)["seq"]))  # fmt: skip
    mixer.start()
    per_tick = 8  # segments a tick, far under QUIET_SEGMENTS
    points = QUIET_POINTS // per_tick + 10  # but more than QUIET_POINTS in all
    for seq in range(1, 5 * per_tick + 1):  # five ticks of them
        mixer.add(seg("client0001", seq, n=points))
        await asyncio.sleep(0.2 / per_tick)
    await mixer.stop()
    # The first window's, before a tick had counted the room: the burst and its refill.
    assert mixer.frames_at_once <= EARLY_BURST + EAGER_FRAMES, "frames kept leaving early"
    assert len(delivered) <= 5 + 1 + EARLY_BURST + EAGER_FRAMES


async def test_one_busy_window_does_not_end_the_quiet():
    delivered: list[int] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=0.2,
                  deliver=lambda text: delivered.append(orjson.loads(text)["seq"]))  # fmt: skip
    mixer.start()
    await asyncio.sleep(0.05)
    for seq in range(1, 21):  # a burst of 20 in one window: more than EAGER_FRAMES
        mixer.add(seg("client0001", seq))
    await asyncio.sleep(0.2)  # the tick that closes the burst's window has passed
    before = len(delivered)
    mixer.add(seg("client0001", 21))
    await asyncio.sleep(0)
    assert len(delivered) == before + 1, "the next message did not wait for the tick"
    await mixer.stop()


def test_the_delay_stores_at_once_and_shows_later():
    writer = Writer()
    mixer = Mixer(origin="o1", publish=None, writer=writer, tick=1)
    mixer.held.set_delay(0.2)
    mixer.add(seg("clientAAAA", 1))
    assert mixer.flush() == [], "nothing reaches a wall during the delay"
    assert [b.frame_seq for b in writer.batches] == [1], "stored at once: the ack waits on it"
    time.sleep(0.25)
    (text,) = mixer.flush()
    frame = orjson.loads(text)
    assert frame["seq"] == 1 and [s["key"] for s in frame["segments"]] == ["clientAAAA:1"]


def test_strokes_removed_during_the_delay_never_reach_a_wall():
    mixer = Mixer(origin="o1", publish=None, writer=Writer(), tick=1)
    mixer.held.set_delay(0.2)
    mixer.add(seg("clientBAD1", 1, device="d_bad"))
    assert mixer.flush() == []
    mixer.add(seg("clientGOOD", 1, device="d_good"))
    mixer.add(seg("clientBAD1", 2, device="d_bad"))
    assert mixer.flush() == []
    assert mixer.forget("d_bad") == 2
    time.sleep(0.25)
    frames = [orjson.loads(text) for text in mixer.flush()]
    assert [f["seq"] for f in frames] == [1, 2], "the emptied frame still goes: no gap"
    assert [[s["key"] for s in f["segments"]] for f in frames] == [[], ["clientGOOD:1"]]


def test_storage_keeps_every_point_the_wall_budget_thins():
    writer = Writer()
    mixer = Mixer(origin="o1", publish=None, writer=writer, tick=1, budget=10)
    mixer.add(seg("clientAAAA", 1, n=40, device="a"))
    (text,) = mixer.flush()
    (shown,) = orjson.loads(text)["segments"]
    (stored,) = writer.batches[0].segments
    assert len(shown["points"]) == 10 and len(stored.points) == 40, "acked points stored whole"


def test_a_stroke_taken_back_is_stored_hidden_and_never_shown():
    from core.frames import HiddenStroke

    writer = Writer()
    mixer = Mixer(origin="o1", publish=None, writer=writer, tick=1)
    mixer.held.set_delay(0.2)
    mixer.add(seg("clientUNDO", 1))  # held by the delay
    assert mixer.flush() == []
    mixer.add(seg("clientUNDO", 2))  # still pending when the undo comes
    mixer.add(seg("clientKEEP", 1))
    mixer.hide(HiddenStroke("clientUNDO", 3, 1))
    assert mixer.flush() == []
    # Stored in order: the hide rides with the frame holding the stroke's last segment.
    assert [(b.frame_seq, [s.key for s in b.segments], b.hidden) for b in writer.batches] == [
        (1, ["clientUNDO:1"], []),
        (2, ["clientUNDO:2", "clientKEEP:1"], [HiddenStroke("clientUNDO", 3, 1)]),
    ]
    time.sleep(0.25)
    frames = [orjson.loads(text) for text in mixer.flush()]
    assert [f["seq"] for f in frames] == [1, 2], "no gap"
    assert [[s["key"] for s in f["segments"]] for f in frames] == [[], ["clientKEEP:1"]]


def test_an_undo_alone_makes_an_empty_frame_so_its_ack_is_not_held_back():
    from core.frames import HiddenStroke

    writer = Writer()
    mixer = Mixer(origin="o1", publish=None, writer=writer, tick=1)
    mixer.hide(HiddenStroke("clientUNDO", 9, 4))
    (text,) = mixer.flush()
    assert orjson.loads(text)["segments"] == []
    assert [b.hidden for b in writer.batches] == [[HiddenStroke("clientUNDO", 9, 4)]]


async def test_frames_that_leave_at_once_share_the_ticks_budget():
    delivered: list[int] = []
    mixer = Mixer(origin="o1", publish=None, writer=None, tick=1.0, budget=30,
                  deliver=lambda text: delivered.append(
                      sum(len(s["points"]) for s in orjson.loads(text)["segments"])))  # fmt: skip
    mixer.start()
    await asyncio.sleep(0)
    for n in range(4):  # a quiet room: each leaves early (tick / 13 apart), in one window
        mixer.add(seg(f"client000{n}", 1, n=20))
        await asyncio.sleep(1.0 / (EAGER_FRAMES + 1) + 0.01)
    await mixer.stop()
    assert len(delivered) >= 4
    assert sum(delivered[:4]) <= 30 + 3, "one budget a tick (a segment keeps its last point)"
