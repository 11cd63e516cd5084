"""A client's outgoing queue and its writer: nothing on the tick waits on a socket.

Every wall and every phone gets one. `put` never blocks: the text joins a queue
bounded in bytes, and a task of the client's own awaits the socket. A client that
does not take its data for SLOW_SECONDS (one send waits that long, or its queue stays
full that long) is closed with 4010; if even the close frame cannot get through, the
socket is dropped, because uvicorn's close waits behind the same full buffer.

A send is awaited bare, not under `asyncio.wait_for`: that made a task and a timer for
every text (a fifth of the writer's cost at a few thousand sends a second). A send that
has to wait (the socket's buffer is full) is rare; only then does a timer check on it,
every quarter of SLOW_SECONDS, and give up when it has waited too long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

SLOW_SECONDS = 5.0  # docs/protocol.md, "Slow clients"
CLOSE_SECONDS = 1.0  # how long a close frame may wait before the socket is dropped
TOO_SLOW = 4010

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int], Awaitable[None]]


class Outlet:
    """One client's bounded queue and writer task.

    `put` returns False when the queue is full and the text was skipped: a wall sees
    the skipped frame as a seq gap and resyncs; a phone's acks are cumulative.
    """

    def __init__(
        self,
        *,
        send: Send,
        close: Close,
        abort: Callable[[], None],
        limit_bytes: int,
        on_slow: Callable[[], None] | None = None,
        on_closed: Callable[[], Awaitable[None]] | None = None,
        slow_seconds: float = SLOW_SECONDS,
    ) -> None:
        self._send = send
        self._close = close
        self._abort = abort
        self._on_slow = on_slow
        self._on_closed = on_closed
        self.limit_bytes = limit_bytes
        self.slow_seconds = slow_seconds
        self._queue: deque[str | int] = deque()  # texts, then maybe one close code
        self._bytes = 0
        self._wake = asyncio.Event()
        self._full_since: float | None = None
        self._closing = False
        self.skipped = 0
        self.slow = False
        self._sending_since: float | None = None  # loop time the send under way began
        self._check: asyncio.TimerHandle | None = None  # while a send waits
        self._task = asyncio.create_task(self._write(), name="outlet")

    @property
    def queued_bytes(self) -> int:
        return self._bytes

    def put(self, text: str) -> bool:
        """Queue a text for the client; never waits."""
        if self._closing:
            return False
        if self._bytes + len(text) > self.limit_bytes and self._queue:
            self.skipped += 1
            now = asyncio.get_running_loop().time()
            if self._full_since is None:
                self._full_since = now
            elif now - self._full_since > self.slow_seconds:
                self._give_up()
            return False
        self._queue.append(text)
        self._bytes += len(text)
        self._wake.set()
        return True

    def close(self, code: int) -> None:
        """Close after what is already queued (an error reply, then its close code)."""
        if self._closing:
            return
        self._closing = True
        self._queue.append(code)
        self._wake.set()

    def stop(self) -> None:
        """The connection is gone: drop what is queued and end the writer."""
        self._closing = True
        self._queue.clear()
        self._bytes = 0
        self._stop_checking()
        if self._task is not asyncio.current_task():
            self._task.cancel()

    def _send_waits(self) -> None:
        """Runs only if a send did not finish at once: watch it from now on."""
        if self._sending_since is not None and self._check is None:
            self._check = asyncio.get_running_loop().call_later(
                self.slow_seconds / 4, self._check_send
            )

    def _check_send(self) -> None:
        """Every quarter of slow_seconds while a send waits: too long, and it gives up."""
        self._check = None
        since = self._sending_since
        if since is None:
            return
        if asyncio.get_running_loop().time() - since > self.slow_seconds:
            self._give_up()
        else:
            self._send_waits()

    def _stop_checking(self) -> None:
        if self._check is not None:
            self._check.cancel()
            self._check = None

    def _give_up(self) -> None:
        if self.slow:
            return
        self.slow = True
        self._stop_checking()
        self._sending_since = None
        log.warning("closing a client that has not read for %.0f s", self.slow_seconds)
        if self._on_slow is not None:
            self._on_slow()
        self._queue.clear()
        self._bytes = 0
        self._closing = False
        self.close(TOO_SLOW)
        if self._task is not asyncio.current_task():
            self._task.cancel()  # it may be stuck in a send: start again with the close
        self._task = asyncio.create_task(self._write(), name="outlet-close")

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                while not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                item = self._queue.popleft()
                if isinstance(item, int):
                    await self._close_socket(item)
                    return
                self._bytes -= len(item)
                if self._bytes <= self.limit_bytes // 2:
                    self._full_since = None
                self._sending_since = loop.time()
                waits = loop.call_soon(self._send_waits)  # runs only if the send suspends
                try:
                    await self._send(item)
                finally:  # a send that failed is not a send that waits
                    waits.cancel()
                    self._sending_since = None
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket went away; the consumer's release cleans up
            log.debug("writing to a client failed", exc_info=True)

    async def _close_socket(self, code: int) -> None:
        try:
            await asyncio.wait_for(self._close(code), CLOSE_SECONDS)
        except TimeoutError:
            self._abort()
        except Exception:
            log.debug("closing a client failed", exc_info=True)
            self._abort()
        if self._on_closed is not None:
            # Closed by us: released now, not when (or if) the client's answer arrives.
            await self._on_closed()


def transport_abort(send: object) -> Callable[[], None]:
    """A way to drop the socket behind an ASGI `send` at once.

    ASGI has no abort, but uvicorn's `send` is a method of its protocol object, whose
    transport can be aborted: the only way to free a client whose buffer is full.
    """
    protocol = getattr(send, "__self__", None)
    transport = getattr(protocol, "transport", None)

    def abort() -> None:
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.abort()

    return abort
