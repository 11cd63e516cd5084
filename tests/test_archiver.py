"""The archiver process: strokes handed down a pipe reach the database, through a
shutdown signal, a killed child and the end of the server."""

from __future__ import annotations

import gc
import os
import signal
import sqlite3
import subprocess
import sys
import time

import orjson
import pytest

from core.frames import AcceptedSegment, HiddenStroke, PlainBatch
from core.storage import StoredBatch
from projector.archiver import Archiver, encode_batches
from tests.parts import ROOT, wait_for


def seg(client: str, seq: int) -> AcceptedSegment:
    return AcceptedSegment("d_a", client, seq, 1, "#f94144", 0.006, [(0.1, 0.2), (0.3, 0.4)],
                           seq == 1, False, 1_764_000_000.25)  # fmt: skip


def test_batches_cross_the_pipe_unchanged():
    batches = [StoredBatch(3, "o1", 7, [seg("clientA1", 1), seg("clientA1", 2)])]
    encoded = encode_batches([PlainBatch.of(b) for b in batches])
    size = int.from_bytes(encoded[:4], "big")
    assert size == len(encoded) - 4
    ((sheet, origin, frame_seq, segments),) = orjson.loads(encoded[4:])
    assert (sheet, origin, frame_seq) == (3, "o1", 7)
    back = [AcceptedSegment(*fields) for fields in segments]
    assert [s.key for s in back] == ["clientA1:1", "clientA1:2"]
    assert back[0].points == [[0.1, 0.2], [0.3, 0.4]]
    assert back[0].accepted_at == 1_764_000_000.25 and back[0].is_start


def test_a_frame_waiting_for_its_commit_is_nothing_the_collector_keeps_tracking():
    points = ((0.1, 0.2), (0.3, 0.4))  # as the server parses them: tuples
    segments = [AcceptedSegment("d_a", "clientA1", seq, 1, "#f94144", 0.006, points,
                                seq == 1, False, 1.0) for seq in (1, 2)]  # fmt: skip
    batch = StoredBatch(3, "o1", 7, segments, hidden=[HiddenStroke("clientA1", 3, 1)])
    plain = PlainBatch.of(batch)
    assert (plain.frame_seq, plain.size, plain.oldest) == (7, 2, 1.0)
    assert (
        list(plain.acked())
        == list(batch.acked())
        == [("clientA1", 1), ("clientA1", 2), ("clientA1", 3)]
    )
    gc.collect()
    # Left tracked, each segment would reach the oldest generation while it waits (a
    # few hundred ms) and set off full collections: pauses of the event loop. One pass is
    # enough: nothing nested is left for later passes to untrack.
    assert not any(gc.is_tracked(part) for part in (plain.wire, plain.clients, plain.seqs))
    assert gc.is_tracked(batch.segments[0]), "the object form stays tracked"


@pytest.mark.django_db
def test_the_archiver_builds_the_rows_the_server_would():
    from core.storage import batch_rows, list_rows

    batches = [StoredBatch(3, "o1", 7, [seg("clientA1", 1), seg("clientA1", 2)])]
    encoded = encode_batches([PlainBatch.of(b) for b in batches])
    assert list_rows(orjson.loads(encoded[4:])) == batch_rows(batches)


@pytest.fixture
def archive_db(tmp_path, monkeypatch):
    """A migrated SQLite file with a sheet; the archiver's child inherits this env."""
    path = tmp_path / "archive.sqlite3"
    env = {**os.environ, "SQLITE_PATH": str(path), "DJANGO_DEBUG": "1"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from core.sheets import sheet_current; print(sheet_current().pk)"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    monkeypatch.setenv("SQLITE_PATH", str(path))
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return path, int(made.stdout.split()[-1])


def stored_keys(path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT client, seq FROM projector_segment ORDER BY client, seq")
        return [f"{client}:{seq}" for client, seq in rows]


def test_what_was_handed_over_is_stored_when_the_server_stops(archive_db):
    path, sheet = archive_db
    archiver = Archiver(flush_interval=0.05)
    archiver.start()
    for seq in range(1, 6):
        archiver.submit(StoredBatch(sheet, "o1", seq, [seg("clientA1", seq)]))
    wait_for(lambda: archiver.child_pid is not None, 10, "the archiver process")
    child = archiver.child_pid
    archiver.stop()
    assert stored_keys(path) == [f"clientA1:{seq}" for seq in range(1, 6)]
    assert archiver.backlog == 0 and archiver.handed_over == 5
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # it exited once its input closed


def archiver_past_its_first_frame(path, sheet: int) -> Archiver:
    archiver = Archiver(flush_interval=0.05)
    archiver.start()
    archiver.submit(StoredBatch(sheet, "o1", 1, [seg("clientA1", 1)]))
    wait_for(lambda: stored_keys(path) == ["clientA1:1"], 15, "the first frame stored")
    return archiver


def test_the_archiver_outlives_the_shutdown_signal_until_its_input_closes(archive_db):
    path, sheet = archive_db
    archiver = archiver_past_its_first_frame(path, sheet)
    # SIGTERM reaches the whole process group on shutdown; the server still has frames.
    os.kill(archiver.child_pid, signal.SIGTERM)
    time.sleep(0.3)
    archiver.submit(StoredBatch(sheet, "o1", 2, [seg("clientA1", 2)]))
    archiver.stop()
    assert stored_keys(path) == ["clientA1:1", "clientA1:2"]
    assert archiver.restarts == 0, "the signal did not stop it"


def test_a_killed_archiver_is_replaced_and_nothing_is_lost_or_doubled(archive_db):
    path, sheet = archive_db
    archiver = archiver_past_its_first_frame(path, sheet)
    first = archiver.child_pid
    os.kill(first, signal.SIGKILL)
    time.sleep(0.3)
    for seq in (2, 3):
        archiver.submit(StoredBatch(sheet, "o1", seq, [seg("clientA1", seq)]))
    wait_for(lambda: len(stored_keys(path)) == 3, 15, "the frames after the kill stored")
    archiver.stop()
    assert stored_keys(path) == ["clientA1:1", "clientA1:2", "clientA1:3"]
    assert archiver.restarts >= 1 and archiver.child_pid is None


def test_batches_a_killed_archiver_read_but_never_committed_are_stored_by_the_next(archive_db):
    path, sheet = archive_db
    confirmed: list[int] = []
    # The child holds what it reads for 30 s before writing: a kill loses it from there.
    archiver = Archiver(
        flush_interval=0.05,
        child_flush_interval=30,
        on_committed=lambda batches: confirmed.extend(b.frame_seq for b in batches),
    )
    archiver.start()
    for seq in (1, 2, 3):
        archiver.submit(StoredBatch(sheet, "o1", seq, [seg("clientA1", seq)]))
    wait_for(lambda: archiver.handed_over == 3, 10, "the frames handed to the child")
    assert stored_keys(path) == [] and confirmed == [] and archiver.backlog == 3
    os.kill(archiver.child_pid, signal.SIGKILL)
    wait_for(lambda: archiver.restarts == 1, 10, "the archiver replaced")
    archiver.stop()  # the new child writes what it was given when its input closes
    assert stored_keys(path) == ["clientA1:1", "clientA1:2", "clientA1:3"]
    assert confirmed == [1, 2, 3], "each batch confirmed once, after its commit"
    assert archiver.backlog == 0
