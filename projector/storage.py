"""Stroke storage: accepted segments are written in batches by one thread, so the
event loop never waits on the database and a burst costs one INSERT per flush."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from controller.models import Device
from projector.frames import AcceptedSegment
from projector.models import Segment

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StoredBatch:
    sheet: int
    origin: str
    frame_seq: int
    segments: list[AcceptedSegment]


class SegmentWriter:
    """Buffers mixed frames and writes them from a background thread."""

    def __init__(self, flush_interval: float = 0.2) -> None:
        self.flush_interval = flush_interval
        self._pending: list[StoredBatch] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._known_devices: dict[str, float] = {}  # device -> when its row was last touched
        self._thread: threading.Thread | None = None
        self.stored = 0
        self.failures = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="segment-writer", daemon=True)
            self._thread.start()

    def submit(self, batch: StoredBatch) -> None:
        """Called on the event loop: cheap, never blocks on the database."""
        with self._lock:
            self._pending.append(batch)

    @property
    def backlog(self) -> int:
        with self._lock:
            return sum(len(b.segments) for b in self._pending)

    def stop(self, timeout: float = 3.0) -> None:
        """Flush what is held and stop the thread (on shutdown)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        else:
            self.flush()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                self.flush()
            self.flush()
        finally:
            connection.close()

    def flush(self) -> int:
        """Write everything pending; on a database error keep it and retry later."""
        with self._lock:
            batches, self._pending = self._pending, []
        if not batches:
            return 0
        try:
            close_old_connections()
            written = write_batches(batches, self._known_devices)
        except Exception:
            self.failures += 1
            log.exception("storing %d frames failed; will retry", len(batches))
            with self._lock:
                self._pending[:0] = batches
            time.sleep(min(2.0, 0.1 * self.failures))
            return 0
        self.failures = 0
        self.stored += written
        return written


DEVICE_TOUCH_SECONDS = 10.0  # how stale a phone's "last drew" and colour may be in the admin


def write_batches(batches: Iterable[StoredBatch], known_devices: dict[str, float]) -> int:
    """Store frames' segments in one transaction; create or refresh their devices' rows
    (at most every few seconds a device, so a crowd costs few UPDATEs)."""
    rows: list[Segment] = []
    devices: dict[str, str] = {}  # device -> colour it drew with last
    for batch in batches:
        for s in batch.segments:
            rows.append(
                Segment(
                    sheet_id=batch.sheet,
                    device=s.device,
                    client=s.client,
                    seq=s.seq,
                    stroke=s.stroke,
                    color=s.color,
                    width=s.width,
                    points=[list(p) for p in s.points],
                    is_start=s.is_start,
                    is_end=s.is_end,
                    origin=batch.origin,
                    frame_seq=batch.frame_seq,
                    created_at=datetime.fromtimestamp(s.accepted_at, UTC),
                )
            )
            devices[s.device] = s.color
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
        Segment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    for device in (*new, *stale):
        known_devices[device] = now
    if len(known_devices) > 100_000:
        known_devices.clear()
    return len(rows)
