"""Stroke storage: accepted segments are written in batches by one thread (in the
archiver process, or in the server's with WALL_STORE_PROCESS=0), so the event loop
never waits on the database and a burst costs one INSERT per flush."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import orjson
from django.db import connection, transaction
from django.utils import timezone

from core.flush_thread import FlushThread
from core.frames import StoredBatch, batch_lists
from core.models import Device, Segment

log = logging.getLogger(__name__)


Rows = Callable[[list], tuple[list[tuple], dict[str, str]]]
# Told, from the writer's thread, which batches the database now holds.
Committed = Callable[[list], None]


class SegmentWriter(FlushThread):
    """Writes mixed frames to the database from a thread of its own.

    `rows` turns what was submitted into INSERT rows (StoredBatch objects by default;
    the archiver process submits the pipe's plain lists, with `rows=list_rows`).
    """

    thread_name = "segment-writer"

    def __init__(
        self,
        flush_interval: float = 0.2,
        rows: Rows | None = None,
        on_committed: Committed | None = None,
        on_failed: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(flush_interval)
        self._rows = rows or batch_rows
        self._on_committed = on_committed
        self._on_failed = on_failed
        self._known_devices: dict[str, float] = {}  # device -> when its row was last touched
        self.stored = 0
        self.failures = 0  # in a row: the database is failing now
        self.retries = 0  # since the process started

    def size(self, batch) -> int:
        return len(batch.segments) if isinstance(batch, StoredBatch) else len(batch[3])

    def oldest(self) -> float | None:
        """When the oldest segment not yet stored was accepted (epoch seconds)."""
        with self._lock:
            for batch in self._pending:
                if isinstance(batch, StoredBatch) and batch.segments:
                    return batch.segments[0].accepted_at
        return None

    def status(self) -> dict:
        """For /healthz: what was stored, and whether the database is failing now."""
        return {
            "writer": "thread",
            "stored": self.stored,
            "failing": self.failures > 0,
            "retries": self.retries,
            "backlog": self.backlog,
        }

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)

    def stopped(self) -> None:
        connection.close()

    def flush(self) -> int:  # type: ignore[override]  # FlushThread ignores it; tests read it
        """Write everything pending; on a database error keep it and retry later."""
        batches = self.take()
        if not batches:
            return 0
        try:
            rows, devices = self._rows(batches)
            written = store_rows(rows, devices, self._known_devices, batch_hidden(batches))
        except Exception:
            # Drop the connection: the next flush opens a fresh one (the database may
            # have restarted). Closing it on every flush cost 16% of the writer's time.
            connection.close()
            self.failures += 1
            self.retries += 1
            if self.failures == 1 or self.failures % 50 == 0:
                log.exception("storing %d frames failed; will retry", len(batches))
            self.put_back(batches)
            if self._on_failed is not None:
                self._on_failed(self.retries)
            time.sleep(min(2.0, 0.1 * self.failures))
            return 0
        self.failures = 0
        self.stored += written
        if self._on_committed is not None:
            self._on_committed(batches)
        return written


DEVICE_TOUCH_SECONDS = 10.0  # how stale a phone's "last drew" and colour may be in the admin


SEGMENT_COLUMNS = (
    "sheet_id", "device", "client", "seq", "stroke", "color", "width", "points",
    "is_start", "is_end", "origin", "frame_seq", "removed", "created_at",
)  # fmt: skip


def insert_segments_sql() -> str:
    """One INSERT for executemany, skipping rows whose (client, seq) is stored already.

    Plain SQL rather than bulk_create: the ORM's per-row Python work (model
    instances, field preparation, the insert compiler) held the GIL for ~70 ms per
    flush at 1,000 messages/s and stalled the event loop (see docs/decisions.md).
    """
    table = connection.ops.quote_name(Segment._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in SEGMENT_COLUMNS)
    points = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(points if c == "points" else "%s" for c in SEGMENT_COLUMNS)
    return f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"


def sqlite_time(epoch: float) -> str:
    """A timestamp as Django's SQLite backend stores one (naive UTC, ISO with a space):
    without Django's per-value adaptation, which was 6 % of the writer's time.

    A flush's rows fall in a second or two, so the date and time of day are formatted
    once a second; the microseconds are split off as datetime.fromtimestamp does
    (modf, then round half to even, carrying a whole second), so the text is the same."""
    global _second
    fraction, whole = math.modf(epoch)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    elif micro < 0:
        whole, micro = whole - 1, micro + 1_000_000
    second, cached = int(whole), _second  # one read: a writer thread may swap it
    if cached[0] != second:
        cached = (second, datetime.fromtimestamp(second, UTC).replace(tzinfo=None).isoformat(" "))
        _second = cached
    return f"{cached[1]}.{micro:06d}" if micro else cached[1]


_second: tuple[int, str] = (-1, "")  # the last second sqlite_time formatted


def aware_time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def time_adapter() -> Callable[[float], object]:
    """How this database takes a timestamp column's value."""
    return sqlite_time if connection.vendor == "sqlite" else aware_time


def list_rows(batches: Iterable[list]) -> tuple[list[tuple], dict[str, str]]:
    """The INSERT's rows for frames in their plain-list form (frames.batch_lists), and
    each device's last colour. Built straight from the lists: building objects only to
    take them apart again was a tenth of the archiver's time."""
    stamp, dumps = time_adapter(), orjson.dumps
    rows: list[tuple] = []
    devices: dict[str, str] = {}
    for sheet, origin, frame_seq, segments, *_hidden in batches:
        for device, client, seq, stroke, color, width, points, start, end, at in segments:
            rows.append(
                (sheet, device, client, seq, stroke, color, width, dumps(points).decode(),
                 start, end, origin, frame_seq, False, stamp(at))
            )  # fmt: skip
            devices[device] = color
    return rows, devices


def batch_rows(batches: Iterable[StoredBatch]) -> tuple[list[tuple], dict[str, str]]:
    return list_rows(batch_lists(batches))


Hidden = tuple[int, str, int]  # sheet, client, stroke: a stroke its phone took back


def batch_hidden(batches: Iterable[StoredBatch | list]) -> list[Hidden]:
    """The strokes these frames hide (phones' undos), in either form of a batch."""
    hidden: list[Hidden] = []
    for batch in batches:
        if isinstance(batch, StoredBatch):
            hidden.extend((batch.sheet, h.client, h.stroke) for h in batch.hidden)
        elif len(batch) > 4:
            hidden.extend((batch[0], client, stroke) for client, _seq, stroke in batch[4])
    return hidden


def store_rows(
    rows: list[tuple],
    devices: dict[str, str],
    known_devices: dict[str, float],
    hidden: Iterable[Hidden] = (),
) -> int:
    """Insert segment rows in one transaction; create or refresh their devices' rows
    (at most every few seconds a device, so a crowd costs few UPDATEs); then hide the
    strokes phones took back, after their last segments are in (docs/decisions.md,
    "Undo")."""
    now = time.monotonic()
    new = [d for d in devices if d not in known_devices]
    stale = [
        d for d in devices if d in known_devices and now - known_devices[d] > DEVICE_TOUCH_SECONDS
    ]
    with transaction.atomic():
        if new:
            Device.objects.bulk_create(
                [Device(id=d, color=devices[d]) for d in new], ignore_conflicts=True
            )
        for device in stale:
            Device.objects.filter(pk=device).update(color=devices[device], last_seen=timezone.now())
        # A phone that resent after reconnecting to another process is harmless.
        with connection.cursor() as cursor:
            cursor.executemany(insert_segments_sql(), rows)
        for sheet, client, stroke in hidden:
            Segment.objects.filter(
                sheet_id=sheet, client=client, stroke=stroke, removed=False
            ).update(removed=True)
    for device in (*new, *stale):
        known_devices[device] = now
    if len(known_devices) > 100_000:
        known_devices.clear()
    return len(rows)


def stroke_stored(client: str, stroke: int) -> tuple[int, float, bool] | None:
    """A stored stroke's sheet, when its last segment was accepted (epoch seconds) and
    whether it is hidden already; None if the database has none of it."""
    found = (
        Segment.objects.filter(client=client, stroke=stroke)
        .order_by("-created_at")
        .values_list("sheet_id", "created_at", "removed")
        .first()
    )
    if found is None:
        return None
    sheet, created_at, removed = found
    return sheet, created_at.timestamp(), removed


def clients_stored(clients: list[str]) -> dict[str, list[tuple[str, int]]]:
    """For each client id, each device that stored segments under it and its highest
    seq: who owns the id, and where its sequence stands, after every restart. One query
    for many (a reconnect storm's hellos arrive together)."""
    found: dict[str, list[tuple[str, int]]] = {}
    if not clients:
        return found
    table = connection.ops.quote_name(Segment._meta.db_table)
    marks = ", ".join(["%s"] * len(clients))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT client, device, MAX(seq) FROM {table}"
                f" WHERE client IN ({marks}) GROUP BY client, device",
                clients,
            )
            for client, device, seq in cursor.fetchall():
                found.setdefault(client, []).append((device, int(seq)))
        return found
    finally:
        connection.close()
