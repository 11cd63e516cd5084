"""Stroke storage and what a wall loads back."""

import pytest

from core import storage
from core.frames import AcceptedSegment
from core.models import Device, Segment
from core.sheets import sheet_current, sheet_reset, sheet_snapshot
from core.storage import SegmentWriter, StoredBatch, batch_rows, store_rows


def write_batches(batches, known_devices):
    """Store frames' segments in one transaction, as the writer's flush does."""
    return store_rows(*batch_rows(batches), known_devices)


pytestmark = [pytest.mark.django_db, pytest.mark.database]


def seg(client, seq, stroke=1, device="d_a", color="#f94144", end=False):
    return AcceptedSegment(device, client, seq, stroke, color, 0.006, [(0.1, 0.2), (0.3, 0.4)],
                           seq == 1, end, 1_764_000_000.0)  # fmt: skip


def test_frames_are_stored_with_their_identity_and_devices():
    sheet = sheet_current()
    known: dict[str, float] = {}
    write_batches([StoredBatch(sheet.pk, "o1", 1, [seg("clientA1", 1), seg("clientA1", 2)])], known)
    write_batches([StoredBatch(sheet.pk, "o1", 2, [seg("clientB1", 1, device="d_b")])], known)
    assert Segment.objects.count() == 3
    assert Device.objects.get(pk="d_b").color == "#f94144"
    assert set(known) == {"d_a", "d_b"}


@pytest.mark.parametrize("accepted_at", [1_764_000_000.25, 1_764_000_000.0])
def test_the_acceptance_time_reads_back_exactly(accepted_at):
    from datetime import UTC, datetime

    sheet = sheet_current()
    segment = seg("clientT1", 1)
    segment.accepted_at = accepted_at
    write_batches([StoredBatch(sheet.pk, "o1", 1, [segment])], {})
    stored = Segment.objects.get(client="clientT1")
    assert stored.created_at == datetime.fromtimestamp(accepted_at, UTC)


def test_a_resent_segment_is_stored_once():
    sheet = sheet_current()
    write_batches([StoredBatch(sheet.pk, "o1", 1, [seg("clientA1", 1)])], {})
    write_batches([StoredBatch(sheet.pk, "o2", 7, [seg("clientA1", 1)])], {})
    assert Segment.objects.count() == 1


def test_a_device_row_follows_its_latest_colour(monkeypatch):
    sheet = sheet_current()
    known: dict[str, float] = {}
    write_batches([StoredBatch(sheet.pk, "o1", 1, [seg("clientA1", 1)])], known)
    monkeypatch.setattr(storage, "DEVICE_TOUCH_SECONDS", -1)
    write_batches([StoredBatch(sheet.pk, "o1", 2, [seg("clientA1", 2, color="#ffffff")])], known)
    assert Device.objects.get(pk="d_a").color == "#ffffff"


def test_the_snapshot_groups_strokes_and_gives_the_watermark():
    sheet = sheet_current()
    write_batches([StoredBatch(sheet.pk, "o1", 4, [seg("clientA1", 1), seg("clientB1", 1)])], {})
    write_batches([StoredBatch(sheet.pk, "o1", 5, [seg("clientA1", 2, end=True)])], {})
    Segment.objects.filter(client="clientB1").update(removed=True)
    snapshot = sheet_snapshot(sheet=sheet, origins=["o1", "other"])
    assert snapshot["stored"] == {"o1": 5}
    assert [s["stroke"] for s in snapshot["strokes"]] == ["clientA1:1"]
    assert [x["key"] for x in snapshot["strokes"][0]["segments"]] == ["clientA1:1", "clientA1:2"]


def test_a_reset_archives_the_sheet_and_the_new_one_is_empty():
    old = sheet_current()
    write_batches([StoredBatch(old.pk, "o1", 1, [seg("clientA1", 1)])], {})
    new = sheet_reset()
    old.refresh_from_db()
    assert old.ended_at is not None and sheet_current() == new
    assert sheet_snapshot(sheet=new)["strokes"] == []
    assert Segment.objects.filter(sheet=old).count() == 1, "archived, never deleted"


@pytest.mark.django_db(transaction=True)
def test_the_writer_flushes_what_it_holds_when_stopped():
    sheet = sheet_current()
    writer = SegmentWriter(flush_interval=60)
    writer.start()
    writer.submit(StoredBatch(sheet.pk, "o1", 1, [seg("clientA1", 1), seg("clientA1", 2)]))
    writer.stop()
    assert Segment.objects.count() == 2 and writer.backlog == 0
    assert writer.status() == {
        "writer": "thread", "stored": 2, "failing": False, "retries": 0, "backlog": 0
    }  # fmt: skip


def test_an_archived_sheet_keeps_the_canvas_it_was_drawn_on():
    from core.models import Exhibit
    from core.sheets import sheet_canvas
    from projector.export import sheet_svg

    old = sheet_current()
    Exhibit.objects.filter(pk=1).update(aspect_ratio=1.0, background="#ffffff")
    new = sheet_reset()
    old.refresh_from_db()
    assert sheet_canvas(sheet=old) == (pytest.approx(16 / 9), "#111111")
    assert sheet_canvas(sheet=new) == (1.0, "#ffffff")
    assert 'viewBox="0 0 1600 900"' in sheet_svg(sheet=old)


def test_the_stored_owner_and_last_seq_of_many_clients_in_one_query():
    from core.storage import clients_stored

    sheet = sheet_current()
    write_batches([StoredBatch(sheet.pk, "o1", 1, [seg("clientA1", 1), seg("clientA1", 7)])], {})
    write_batches([StoredBatch(sheet.pk, "o1", 2, [seg("clientB1", 3, device="d_b")])], {})
    found = clients_stored(["clientA1", "clientB1", "clientC1"])
    assert found == {"clientA1": [("d_a", 7)], "clientB1": [("d_b", 3)]}


def test_a_stroke_taken_back_is_hidden_after_its_segments_in_either_form_of_a_batch():
    import orjson

    from core.frames import HiddenStroke, PlainBatch
    from core.storage import batch_hidden, list_rows
    from projector.archiver import encode_batches

    sheet = sheet_current()
    first = StoredBatch(sheet.pk, "o1", 1, [seg("clientU1", 1, stroke=1)])
    # The stroke's last segment and its undo in one frame; another stroke of it stays.
    second = StoredBatch(
        sheet.pk, "o1", 2, [seg("clientU1", 2, stroke=1), seg("clientU1", 3, stroke=2)],
        hidden=[HiddenStroke("clientU1", 4, 1)],
    )  # fmt: skip
    store_rows(*batch_rows([first]), {}, batch_hidden([first]))
    piped = orjson.loads(
        encode_batches([PlainBatch.of(second)])[4:]
    )  # as the archiver process reads it
    assert batch_hidden(piped) == batch_hidden([second]) == [(sheet.pk, "clientU1", 1)]
    store_rows(*list_rows(piped), {}, batch_hidden(piped))
    hidden = dict(Segment.objects.filter(client="clientU1").values_list("seq", "removed"))
    assert hidden == {1: True, 2: True, 3: False}
    assert storage.stroke_stored("clientU1", 1)[::2] == (sheet.pk, True)
    assert storage.stroke_stored("clientU1", 2)[::2] == (sheet.pk, False)
    assert storage.stroke_stored("clientU1", 9) is None


def test_the_phones_snapshot_reads_only_the_sheets_latest_segments(client, monkeypatch):
    """GET /projector/view/ is built from the last SNAPSHOT_SEGMENTS stored: a sheet
    drawn on for hours must not be read whole for every second's snapshot."""
    import orjson

    from core.sheets import sheet_strokes
    from projector import views
    from projector.view_cache import view_cache_forget

    sheet = sheet_current()
    for n in range(1, 6):  # five strokes, one segment each, stored in order
        write_batches([StoredBatch(sheet.pk, "o1", n, [seg(f"client{n}x", 1, stroke=n)])], {})
    latest = sheet_strokes(sheet=sheet, latest=2)
    assert [s["stroke"] for s in latest] == ["client4x:4", "client5x:5"]
    assert len(sheet_strokes(sheet=sheet)) == 5, "without it, the whole sheet"
    monkeypatch.setattr(views, "SNAPSHOT_SEGMENTS", 3)
    view_cache_forget()
    body = orjson.loads(client.get("/projector/view/").content)
    assert [s["stroke"] for s in body["strokes"]] == ["client3x:3", "client4x:4", "client5x:5"]
