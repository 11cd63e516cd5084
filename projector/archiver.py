"""The archiver: a child process of each server process that writes accepted strokes
to the database, so storage never holds the server's GIL and yields the CPU to live
drawing (it runs at a lower priority: a stroke may reach the archive a moment later,
never the wall).

The server side (`Archiver`) keeps SegmentWriter's interface: `submit` is cheap on the
event loop, and a thread hands what was submitted down a pipe every flush interval.
The child (`python -m projector.archiver`) stores what it reads with a SegmentWriter
of its own, and reports each commit back on its stdout; the server side keeps every
batch until then, so an acknowledgement can mean stored (docs/protocol.md). It
ignores SIGTERM and SIGINT and stops when the pipe closes, after writing everything
it was sent: the server closes the pipe only after handing over its last frames, and
if the server is killed the pipe closes as well.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import orjson

from core.flush_thread import FlushThread
from core.frames import PlainBatch, StoredBatch

Committed = Callable[[list], None]  # told, from a thread, which batches are stored

log = logging.getLogger(__name__)

HEADER = struct.Struct("!I")  # the length of the JSON payload that follows
CHILD_FLUSH = 0.02  # seconds the child holds what it read before writing it
NICENESS = 10  # below the server's event loop, which must answer phones at once
ROOT = Path(__file__).resolve().parent.parent


def encode_batches(batches: list[PlainBatch]) -> bytes:
    """Frames' segments as one length-prefixed message for the pipe."""
    payload = b"[" + b",".join(batch.wire for batch in batches) + b"]"
    return HEADER.pack(len(payload)) + payload


def read_messages(stream: IO[bytes]) -> Iterator[bytes]:
    """The length-prefixed payloads on one end of the pipe (encode_batches, reporter),
    until it closes; a message cut short (its writer died mid-write) ends it too."""
    while True:
        header = stream.read(HEADER.size)
        if len(header) < HEADER.size:
            return
        (size,) = HEADER.unpack(header)
        payload = stream.read(size)
        if len(payload) < size:
            log.warning(
                "a message on the archiver's pipe ended after %d of %d bytes", len(payload), size
            )
            return
        yield payload


class Archiver(FlushThread):
    """The server side: hands mixed frames to the archiver process every interval, and
    keeps each one until the child confirms its commit (Kafka's acks=all): a child
    killed with batches read but not committed costs nothing, its successor gets them."""

    thread_name = "archiver-pipe"

    def __init__(
        self,
        flush_interval: float = 0.2,
        stop_timeout: float = 10.0,
        on_committed: Committed | None = None,
        child_flush_interval: float | None = None,
    ) -> None:
        super().__init__(flush_interval)
        # The server side batches already: the child writes what arrives almost at once,
        # so a phone's ack (which waits for the commit) is not delayed by a second batch.
        self.child_flush_interval = child_flush_interval or min(flush_interval, CHILD_FLUSH)
        self.stop_timeout = stop_timeout
        self._on_committed = on_committed
        self._child: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._unconfirmed: OrderedDict[int, PlainBatch] = OrderedDict()  # frame seq -> batch
        self.handed_over = 0  # segments sent down the pipe
        self.committed = 0  # segments the child confirmed
        self.restarts = 0
        self.retries = 0  # the child's failed database writes, as it reported them

    @property
    def child_pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def submit(self, batch: StoredBatch) -> None:  # type: ignore[override]
        """Called on the event loop at the tick: kept from here on in plain form."""
        super().submit(PlainBatch.of(batch))

    def size(self, batch: PlainBatch) -> int:
        return batch.size

    @property
    def backlog(self) -> int:
        """Segments not yet confirmed stored: waiting here, or in the child."""
        with self._lock:
            waiting = sum(b.size for b in self._pending)
            return waiting + sum(b.size for b in self._unconfirmed.values())

    def oldest(self) -> float | None:
        """When the oldest unconfirmed segment was accepted (epoch seconds)."""
        with self._lock:
            for batch in (*self._unconfirmed.values(), *self._pending):
                if batch.oldest is not None:
                    return batch.oldest
        return None

    def status(self) -> dict:
        """For /healthz: whether strokes are on their way to the database."""
        child = self._child
        return {
            "writer": "process",
            "pid": child.pid if child is not None and child.poll() is None else None,
            "restarts": self.restarts,
            "handed_over": self.handed_over,
            "committed": self.committed,
            "retries": self.retries,
            "backlog": self.backlog,
        }

    def stop(self, timeout: float | None = None) -> None:
        """Hand over what is held, close the pipe and wait for the archive to be written."""
        super().stop((timeout or self.stop_timeout) + 1)

    def starting(self) -> None:
        try:
            self._child_running()  # ready (and its memory counted) before the first stroke
        except OSError:
            log.exception("starting the archiver process failed; will retry")

    def stopped(self) -> None:
        self._close_child()

    def flush(self) -> None:
        try:
            child = self._child_running()  # a new child first gets what the last one lost
        except OSError as error:
            log.warning("starting the archiver process failed (%r); will retry", error)
            time.sleep(min(2.0, 0.1 * (self.restarts + 1)))
            return
        batches = self.take()
        if not batches:
            return
        with self._lock:
            for batch in batches:
                self._unconfirmed[batch.frame_seq] = batch
        try:
            _stdin(child).write(encode_batches(batches))
            _stdin(child).flush()
        except OSError as error:  # the child is gone (BrokenPipeError)
            log.warning("the archiver process failed (%r); starting another", error)
            self._replace()
            return
        self.handed_over += sum(b.size for b in batches)

    def _child_running(self) -> subprocess.Popen:
        if self._child is not None:
            code = self._child.poll()
            if code is None:
                return self._child
            log.warning(
                "the archiver process exited (%s) with %d frames unconfirmed; "
                "starting another, which stores them",
                code,
                len(self._unconfirmed),
            )
            self._replace()
        child = subprocess.Popen(
            [
                sys.executable, "-m", "projector.archiver",
                "--flush-ms", str(round(self.child_flush_interval * 1000)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )  # fmt: skip
        self._child = child
        self._reader = threading.Thread(
            target=self._read_confirmations, args=(child,), name="archiver-confirm", daemon=True
        )
        self._reader.start()
        return child

    def _replace(self) -> None:
        """Reap a dead child; what it had not confirmed goes to the next one, first."""
        self._reap()
        self.restarts += 1
        with self._lock:
            lost = list(self._unconfirmed.values())
            self._unconfirmed.clear()
            self._pending[:0] = lost  # sent again: storage skips what it already has
        time.sleep(min(2.0, 0.1 * self.restarts))

    def _read_confirmations(self, child: subprocess.Popen) -> None:
        """The child's word on what it committed (its stdout), until it exits."""
        with _stdout(child) as stream:
            self._confirm_from(stream)

    def _confirm_from(self, stream: IO[bytes]) -> None:
        for payload in read_messages(stream):
            report = orjson.loads(payload)
            if "retries" in report:
                self.retries = report["retries"]
            confirmed = []
            with self._lock:
                for frame_seq in report.get("committed", ()):
                    batch = self._unconfirmed.pop(frame_seq, None)
                    if batch is not None:
                        confirmed.append(batch)
            if confirmed:
                self.committed += sum(b.size for b in confirmed)
                if self._on_committed is not None:
                    self._on_committed(confirmed)

    def _reap(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(OSError):
                _stdin(child).close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(1)
        self._join_reader()

    def _join_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.join(5)

    def _close_child(self) -> None:
        """End of input: the child writes what it holds, confirms it and exits."""
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):
            _stdin(child).close()
        try:
            child.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.error("the archiver did not finish in %.0f s; stopping it", self.stop_timeout)
            child.kill()
        self._join_reader()


def _stdin(child: subprocess.Popen) -> IO[bytes]:
    assert child.stdin is not None  # started with stdin=PIPE
    return child.stdin


def _stdout(child: subprocess.Popen) -> IO[bytes]:
    assert child.stdout is not None  # started with stdout=PIPE
    return child.stdout


def serve(stream, flush_interval: float, report=None) -> int:
    """The child's loop: store what arrives on `stream` until it closes; `report` gets
    {"committed": [frame seqs]} after each commit and {"retries": n} after a failure."""
    from core.storage import SegmentWriter, list_rows

    def committed(batches: list) -> None:
        if report is not None:
            report({"committed": [batch[2] for batch in batches]})

    def failed(retries: int) -> None:
        if report is not None:
            report({"retries": retries})

    writer = SegmentWriter(
        flush_interval=flush_interval, rows=list_rows, on_committed=committed, on_failed=failed
    )
    writer.start()
    try:
        for payload in read_messages(stream):
            for batch in orjson.loads(payload):
                writer.submit(batch)
    finally:
        writer.stop(timeout=30)
    return writer.stored


def reporter(out) -> Callable[[dict], None]:
    """Writes the child's reports to the parent, length-prefixed like the input."""

    def report(message: dict) -> None:
        payload = orjson.dumps(message)
        with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
            out.write(HEADER.pack(len(payload)) + payload)
            out.flush()

    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Store a server process's strokes.")
    parser.add_argument("--flush-ms", type=int, default=200)
    args = parser.parse_args(argv)
    # The server's shutdown signal reaches its whole process group; this process
    # finishes when its input closes, after the server handed over its last frames.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    # Reports go out on the original stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installation.settings")
    import django

    django.setup()
    serve(sys.stdin.buffer, args.flush_ms / 1000, reporter(out))


if __name__ == "__main__":
    main()
