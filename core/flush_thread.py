"""A buffer filled on the event loop and emptied by a thread of its own every interval:
the shape of both stroke writers (storage.SegmentWriter, archiver.Archiver)."""

from __future__ import annotations

import threading


class FlushThread:
    """`submit` is cheap and never blocks; every `flush_interval` (and once more when
    stopped) the thread calls `flush`, which takes what is pending with `take`."""

    thread_name = "flush"

    def __init__(self, flush_interval: float) -> None:
        self.flush_interval = flush_interval
        self._pending: list = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def submit(self, batch) -> None:
        """Called on the event loop: cheap, never blocks."""
        with self._lock:
            self._pending.append(batch)

    @property
    def backlog(self) -> int:
        """Segments waiting here."""
        with self._lock:
            return sum(self.size(b) for b in self._pending)

    def stop(self, timeout: float) -> None:
        """Flush what is held and stop the thread (on shutdown)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        else:
            self.flush()

    def take(self) -> list:
        with self._lock:
            batches, self._pending = self._pending, []
        return batches

    def put_back(self, batches: list) -> None:
        """Keep batches that could not be flushed, ahead of newer ones."""
        with self._lock:
            self._pending[:0] = batches

    def _run(self) -> None:
        self.starting()
        try:
            while not self._stopping.is_set():
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                self.flush()
            self.flush()
        finally:
            self.stopped()

    # -- for subclasses ---------------------------------------------------------

    def size(self, batch) -> int:
        return len(batch.segments)

    def flush(self) -> None:
        raise NotImplementedError

    def starting(self) -> None:
        """Runs on the thread before the first flush."""

    def stopped(self) -> None:
        """Runs on the thread after the last flush."""
