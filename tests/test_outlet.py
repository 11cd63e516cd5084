"""One client's outlet (installation/outlet.py): nothing waits on its socket, and a
client that stops taking its data is closed, or its socket dropped."""

from __future__ import annotations

import asyncio

from installation.outlet import TOO_SLOW, Outlet


class Socket:
    """A client's socket: `reading` decides whether sends complete."""

    def __init__(self, reading: bool = True, closable: bool = True) -> None:
        self.reading = asyncio.Event()
        if reading:
            self.reading.set()
        self.closable = closable
        self.sent: list[str] = []
        self.closed: list[int] = []
        self.aborted = False
        self.released = 0

    async def send(self, text: str) -> None:
        await self.reading.wait()
        self.sent.append(text)

    async def close(self, code: int) -> None:
        if not self.closable:
            await asyncio.Event().wait()  # behind the same full buffer: never gets out
        self.closed.append(code)

    def abort(self) -> None:
        self.aborted = True

    async def release(self) -> None:
        self.released += 1


def outlet(socket: Socket, **options) -> Outlet:
    return Outlet(send=socket.send, close=socket.close, abort=socket.abort,
                  on_closed=socket.release, **options)  # fmt: skip


async def test_texts_go_out_in_order_then_the_close():
    socket = Socket()
    out = outlet(socket, limit_bytes=1000)
    for text in ("a", "b", "c"):
        assert out.put(text)
    out.close(4001)
    await asyncio.sleep(0.01)
    assert socket.sent == ["a", "b", "c"] and socket.closed == [4001]
    assert socket.released == 1, "closed by us: released at once"


async def test_put_never_waits_and_a_full_queue_skips():
    socket = Socket(reading=False)
    out = outlet(socket, limit_bytes=10, slow_seconds=60)
    assert [out.put("12345") for _ in range(4)] == [True, True, False, False]
    assert out.skipped == 2 and out.queued_bytes <= 10


async def test_a_client_that_stops_reading_is_closed_with_too_slow():
    socket = Socket(reading=False)
    slow: list[bool] = []
    out = outlet(socket, limit_bytes=100, slow_seconds=0.1, on_slow=lambda: slow.append(True))
    out.put("frame")
    await asyncio.sleep(0.05)
    assert socket.closed == [], "not yet: the send has waited less than 0.1 s"
    await asyncio.sleep(0.2)
    assert slow == [True] and socket.closed == [TOO_SLOW] and not socket.aborted
    assert socket.released == 1


async def test_when_even_the_close_cannot_get_out_the_socket_is_dropped():
    socket = Socket(reading=False, closable=False)
    out = outlet(socket, limit_bytes=100, slow_seconds=0.1)
    out.put("frame")
    await asyncio.sleep(1.4)  # the send's 0.1 s, then the close's 1 s
    assert socket.aborted and socket.released == 1


async def test_sends_that_finish_at_once_leave_no_timer_behind():
    # A timer a send was the per-text cost this outlet exists to avoid: only a send
    # that has to wait is watched.
    socket = Socket()
    out = outlet(socket, limit_bytes=1000, slow_seconds=0.2)
    for text in ("a", "b", "c"):
        out.put(text)
    await asyncio.sleep(0.01)
    assert socket.sent == ["a", "b", "c"] and out._check is None
    socket.reading.clear()
    out.put("d")
    await asyncio.sleep(0.01)
    assert out._check is not None, "a send that waits is watched"
    socket.reading.set()
    await asyncio.sleep(0.2)
    assert socket.sent[-1] == "d" and out._check is None and socket.closed == []


async def test_a_send_that_fails_is_not_taken_for_a_slow_client():
    class Gone(Socket):
        async def send(self, text: str) -> None:
            await asyncio.sleep(0.01)  # it waited, then the socket went away
            raise ConnectionError("gone")

    socket, slow = Gone(), []
    out = outlet(socket, limit_bytes=100, slow_seconds=0.1, on_slow=lambda: slow.append(True))
    out.put("frame")
    await asyncio.sleep(0.3)
    assert slow == [] and socket.closed == [], "the consumer's release cleans up, not 4010"
