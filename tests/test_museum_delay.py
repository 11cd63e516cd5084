"""The museum-safe delay through the real consumers: a stroke reaches the wall only
after the delay, and never if the curator removes it first."""

import json
import time

import pytest
from asgiref.sync import sync_to_async

from core.models import Exhibit
from projector.moderation import device_strokes_remove
from tests.test_consumers import hello, next_of, phone, start, wall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database]


async def frames_until(comm, deadline: float) -> list[dict]:
    """Every frame with segments the wall receives until `deadline` (monotonic)."""
    frames = []
    while (left := deadline - time.monotonic()) > 0:
        # receive_nothing, not a timeout on receive_from: that would end the consumer.
        if await comm.receive_nothing(min(left, 0.1)):
            continue
        message = json.loads(await comm.receive_from(1))
        if message["type"] == "frame" and message["segments"]:
            frames.append(message)
    return frames


async def test_a_stroke_waits_out_the_delay_and_a_removed_one_never_shows(runtime):
    await Exhibit.objects.filter(pk=1).aupdate(delay_seconds=2)
    await runtime.reload()
    w = wall()
    assert (await w.connect())[0]
    await next_of(w, "hello")
    good, bad = phone("d_good"), phone("d_bad")
    await hello(good, "client-good")
    await hello(bad, "client-bad")
    drawn_at = time.monotonic()
    await good.send_json_to(start(1))
    await bad.send_json_to(start(1))
    assert (await next_of(good, "ack", timeout=5))["seq"] == 1, "stored at once, acked"
    early = await frames_until(w, drawn_at + 1.5)
    assert early == [], "nothing reaches the wall during the delay"
    await sync_to_async(device_strokes_remove)(device="d_bad")  # the curator steps in
    late = await frames_until(w, drawn_at + 4)
    keys = [s["key"] for frame in late for s in frame["segments"]]
    assert keys == ["client-good:1"], "the good stroke after the delay, the removed never"
    for comm in (good, bad, w):
        await comm.disconnect()


def test_the_sheet_keeps_the_delay_for_walls_and_marks_it_for_staff(client, admin_client):
    from core.frames import AcceptedSegment
    from core.sheets import sheet_current
    from core.storage import StoredBatch, batch_rows, store_rows

    exhibit = Exhibit.load()
    exhibit.delay_seconds = 30
    exhibit.save()
    segment = AcceptedSegment("d_new", "client-new1", 1, 1, "#f94144", 0.006,
                              [(0.1, 0.1)], True, False, time.time())  # fmt: skip
    store_rows(*batch_rows([StoredBatch(sheet_current().pk, "o1", 1, [segment])]), {})
    wall_view = client.get("/projector/sheet/").json()
    assert wall_view["strokes"] == [] and wall_view["stored"] == {}, "held from walls"
    (stroke,) = admin_client.get("/projector/sheet/").json()["strokes"]
    assert stroke["segments"][0]["pending"] is True, "the console sees it, marked"
