"""The archiver: a child process of each server process that writes accepted strokes
to the database, so storage never holds the server's GIL and yields the CPU to live
drawing (it runs at a lower priority: a stroke may reach the archive a moment later,
never the wall).

The server side (`Archiver`) keeps SegmentWriter's interface: `submit` is cheap on the
event loop, and a thread hands what was submitted down a pipe every flush interval.
The child (`python -m projector.archiver`) stores what it reads with a SegmentWriter
of its own. It ignores SIGTERM and SIGINT and stops when the pipe closes, after
writing everything it was sent: the server closes the pipe only after handing over
its last frames, and if the server is killed the pipe closes as well.
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
import time
from pathlib import Path

import orjson

from projector.flush_thread import FlushThread
from projector.frames import StoredBatch, batch_lists

log = logging.getLogger(__name__)

HEADER = struct.Struct("!I")  # the length of the JSON payload that follows
NICENESS = 10  # below the server's event loop, which must answer phones at once
ROOT = Path(__file__).resolve().parent.parent


def encode_batches(batches: list[StoredBatch]) -> bytes:
    """Frames' segments as one length-prefixed message for the pipe."""
    payload = orjson.dumps(batch_lists(batches))
    return HEADER.pack(len(payload)) + payload


class Archiver(FlushThread):
    """The server side: hands mixed frames to the archiver process every interval."""

    thread_name = "archiver-pipe"

    def __init__(self, flush_interval: float = 0.2, stop_timeout: float = 10.0) -> None:
        super().__init__(flush_interval)
        self.stop_timeout = stop_timeout
        self._child: subprocess.Popen | None = None
        self.handed_over = 0  # segments sent down the pipe
        self.restarts = 0

    @property
    def child_pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def status(self) -> dict:
        """For /healthz: whether strokes are on their way to the database."""
        child = self._child
        return {
            "writer": "process",
            "pid": child.pid if child is not None and child.poll() is None else None,
            "restarts": self.restarts,
            "handed_over": self.handed_over,
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
        batches = self.take()
        if not batches:
            return
        data = encode_batches(batches)
        try:
            child = self._child_running()
            child.stdin.write(data)
            child.stdin.flush()
        except OSError as error:  # the child is gone (BrokenPipeError) or cannot start
            log.warning("the archiver process failed (%r); starting another", error)
            self._reap()
            self.restarts += 1
            self.put_back(batches)  # sent again: storage ignores what it has
            time.sleep(min(2.0, 0.1 * self.restarts))
            return
        self.handed_over += sum(len(b.segments) for b in batches)

    def _child_running(self) -> subprocess.Popen:
        if self._child is not None:
            code = self._child.poll()
            if code is None:
                return self._child
            log.warning("the archiver process exited (%s); starting another", code)
            self.restarts += 1
            self._reap()
        self._child = subprocess.Popen(
            [
                sys.executable, "-m", "projector.archiver",
                "--flush-ms", str(round(self.flush_interval * 1000)),
            ],
            stdin=subprocess.PIPE,
            cwd=ROOT,
        )  # fmt: skip
        return self._child

    def _reap(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(OSError):
                child.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(1)

    def _close_child(self) -> None:
        """End of input: the child writes what it holds and exits."""
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):
            child.stdin.close()
        try:
            child.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.error("the archiver did not finish in %.0f s; stopping it", self.stop_timeout)
            child.kill()


def serve(stream, flush_interval: float) -> int:
    """The child's loop: store what arrives on `stream` until it closes."""
    from projector.storage import SegmentWriter, list_rows

    writer = SegmentWriter(flush_interval=flush_interval, rows=list_rows)
    writer.start()
    try:
        while True:
            header = stream.read(HEADER.size)
            if len(header) < HEADER.size:
                break
            (size,) = HEADER.unpack(header)
            payload = stream.read(size)
            if len(payload) < size:
                log.error("the archiver's input ended mid-message")
                break
            for batch in orjson.loads(payload):
                writer.submit(batch)
    finally:
        writer.stop(timeout=30)
    return writer.stored


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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installation.settings")
    import django

    django.setup()
    serve(sys.stdin.buffer, args.flush_ms / 1000)


if __name__ == "__main__":
    main()
