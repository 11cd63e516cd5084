"""This server process's live state: the exhibit snapshot, the Mixer, the stroke
writer, the phones connected here and the one channel-layer listener that carries
curator changes between processes.

Phones never listen on the channel layer themselves (a Redis hiccup must not cut
them off): the process listens once, on the "control" group, and fans out locally.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections import Counter, OrderedDict
from dataclasses import replace
from typing import Protocol

from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection

from controller.admission import Admission
from controller.ink import InkLedger, MessageRate
from controller.ink_store import ink_store_for
from projector.archiver import Archiver
from projector.exhibit import ExhibitSnapshot, exhibit_snapshot_load
from projector.frames import PROJECTOR_GROUP, encode
from projector.mixer import Mixer
from projector.storage import SegmentWriter

log = logging.getLogger(__name__)

CONTROL_GROUP = "control"
REFRESH_SECONDS = 15.0  # safety net if a control message is lost
GROUP_REJOIN_SECONDS = 3600.0  # well inside channels-redis's 24 h group expiry
PRESENCE_SECONDS = 2.0
ACK_SECONDS = 0.1  # phones get one cumulative ack per this interval, not one a message


class PhoneSession(Protocol):
    """What the runtime needs of a connected phone (the consumer implements it)."""

    device: str

    async def notify(self, message: dict) -> None: ...

    async def kick(self, code: int, state: str) -> None: ...

    async def send_ack(self) -> None: ...


class WallSession(Protocol):
    """What the runtime needs of a connected wall."""

    async def forward(self, text: str) -> None: ...


class LRU(OrderedDict):
    """A bounded dict for per-client state that must not grow for weeks."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class Runtime:
    def __init__(self) -> None:
        self.origin = f"{os.getpid():x}{secrets.token_hex(2)}"
        self.exhibit = ExhibitSnapshot(sheet=0)
        self.ink = InkLedger(rate=self.exhibit.ink_rate, burst=self.exhibit.ink_burst)
        self.ink_store = ink_store_for(settings.REDIS_URL)
        self.rates: LRU = LRU(100_000)  # device -> MessageRate
        self.acked: LRU = LRU(100_000)  # client -> highest seq handled
        self.strokes: LRU = LRU(100_000)  # client -> {stroke: (color, width)}
        self.phones: dict[str, set[PhoneSession]] = {}
        self.acks_due: set[PhoneSession] = set()
        self.walls: set[WallSession] = set()  # connected here: frames reach them directly
        self.admission = Admission(capacity=self.exhibit.max_drawing)
        self.violations: Counter[str] = Counter()
        self.layer = get_channel_layer()
        flush = settings.STORE_FLUSH_MS / 1000
        self.writer: Archiver | SegmentWriter = (
            Archiver(flush_interval=flush)
            if settings.STORE_PROCESS
            else SegmentWriter(flush_interval=flush)
        )
        self.mixer = Mixer(
            origin=self.origin,
            # On the in-memory layer every wall is on this process and gets frames
            # from `deliver`; publishing them as well would only be thrown away.
            publish=None if isinstance(self.layer, InMemoryChannelLayer) else self._publish_frames,
            deliver=self._deliver_frame,
            writer=self.writer,
            tick=settings.TICK_MS / 1000,
        )
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._control_channel: str | None = None
        self.layer_ok = True

    # -- lifecycle --------------------------------------------------------------

    async def start(self) -> None:
        """Runs once per process, on the first connection or at lifespan startup."""
        try:
            await self.reload()
        except Exception:
            log.exception("loading the exhibit failed; retrying in the background")
        finally:
            self._ready.set()
        self.writer.start()
        self.mixer.start()
        self._tasks = [
            asyncio.create_task(self._control_loop(), name="runtime-control"),
            asyncio.create_task(self._refresh_loop(), name="runtime-refresh"),
            asyncio.create_task(self._presence_loop(), name="runtime-presence"),
            asyncio.create_task(self._ack_loop(), name="runtime-acks"),
        ]

    async def ready(self) -> None:
        await self._ready.wait()

    async def stop(self) -> None:
        """Flush frames and strokes before the process exits (SIGTERM, SIGINT)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.mixer.stop()
        await asyncio.to_thread(self.writer.stop)

    async def reload(self) -> None:
        """Re-read the exhibit and apply what changed to this process's phones."""
        before = self.exhibit
        after = await sync_to_async(_load_and_close, thread_sensitive=False)()
        self.exhibit = after
        self.mixer.sheet = after.sheet
        self.mixer.budget = after.wall_budget
        if (before.ink_rate, before.ink_burst) != (after.ink_rate, after.ink_burst):
            self.ink.retune(after.ink_rate, after.ink_burst)
        self.admission.capacity = after.max_drawing
        if before.sheet == 0:
            return  # first load: nobody to tell
        await self._tell_phones(before, after)

    async def _tell_phones(self, before: ExhibitSnapshot, after: ExhibitSnapshot) -> None:
        messages: list[dict] = []
        if after.sheet != before.sheet:
            messages.append({"type": "reset", "sheet": after.sheet})
        if after.paused != before.paused:
            messages.append({"type": "state", "state": "paused" if after.paused else "live"})
        comparable = replace(before, sheet=after.sheet, paused=after.paused, blocked=after.blocked)
        if comparable != after:
            messages.append(
                {
                    "type": "exhibit",
                    "exhibit": after.for_phone(),
                    "limits": after.limits_for_phone(),
                }
            )
        newly_blocked = after.blocked - before.blocked
        for device in newly_blocked:
            for phone in list(self.phones.get(device, ())):
                await phone.kick(4003, "blocked")
        for phones in list(self.phones.values()):
            for phone in list(phones):
                for message in messages:
                    await phone.notify(message)
        for phone in self.admission.promote():
            await phone.notify({"type": "state", "state": "live"})

    # -- phones -----------------------------------------------------------------

    def register(self, phone: PhoneSession) -> None:
        self.phones.setdefault(phone.device, set()).add(phone)

    def unregister(self, phone: PhoneSession) -> None:
        sessions = self.phones.get(phone.device)
        if sessions is not None:
            sessions.discard(phone)
            if not sessions:
                del self.phones[phone.device]

    def connections(self, device: str) -> int:
        return len(self.phones.get(device, ()))

    def message_rate(self, device: str) -> MessageRate:
        rate = self.rates.get(device)
        if rate is None or rate.limit != self.exhibit.max_messages:
            rate = MessageRate(limit=self.exhibit.max_messages)
            self.rates[device] = rate
        return rate

    def violation(self, code: str, device: str) -> None:
        """Count and log a bad message, never its contents."""
        self.violations[code] += 1
        count = self.violations[code]
        if count <= 10 or count % 1000 == 0:
            log.info("phone violation code=%s device=%s total=%d", code, device[:12], count)

    # -- channel layer ----------------------------------------------------------

    async def _deliver_frame(self, text: str) -> None:
        for wall in list(self.walls):
            await wall.forward(text)

    async def _publish_frames(self, texts: list[str]) -> None:
        # The origin lets this process's walls skip what they already had from the Mixer.
        await self.layer.group_send(
            PROJECTOR_GROUP, {"type": "wall.frame", "texts": texts, "origin": self.origin}
        )

    async def tell_walls(self, message: dict) -> None:
        try:
            await asyncio.wait_for(
                self.layer.group_send(
                    PROJECTOR_GROUP, {"type": "wall.message", "text": encode(message)}
                ),
                2.0,
            )
        except Exception as error:
            log.debug("telling walls failed: %r", error)

    async def _control_loop(self) -> None:
        backoff = 0.5
        while True:
            try:
                if self._control_channel is None:
                    self._control_channel = await self.layer.new_channel()
                await self.layer.group_add(CONTROL_GROUP, self._control_channel)
                self.layer_ok = True
                backoff = 0.5
                async with asyncio.timeout(GROUP_REJOIN_SECONDS):
                    while True:
                        message = await self.layer.receive(self._control_channel)
                        await self._on_control(message)
            except TimeoutError:
                continue  # time to re-join the group before it expires
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.layer_ok = False
                log.warning("control listener lost the channel layer: %r", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _on_control(self, message: dict) -> None:
        if message.get("type") == "exhibit.changed":
            await self.reload()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.reload()
            except Exception:
                log.exception("refreshing the exhibit failed")

    async def _ack_loop(self) -> None:
        while True:
            await asyncio.sleep(ACK_SECONDS)
            due, self.acks_due = self.acks_due, set()
            for phone in due:
                try:
                    await phone.send_ack()
                except Exception:  # one broken socket must not starve the others
                    log.debug("sending an ack failed", exc_info=True)

    async def rotate_line(self) -> None:
        """Idle phones yield their place to waiting ones; everyone learns their state."""
        moved = self.admission.yield_idle()
        let_in = self.admission.promote()
        if not (moved or let_in):
            return
        for phone in let_in:
            await phone.notify({"type": "state", "state": "live"})
        for phone, place in self.admission.waiting():
            await phone.notify({"type": "state", "state": "full", "position": place})

    async def _presence_loop(self) -> None:
        last: tuple[int, int] | None = None
        quiet = 0
        while True:
            await asyncio.sleep(PRESENCE_SECONDS)
            await self.rotate_line()
            now = (len(self.phones), self.admission.drawing_count())
            quiet += 1
            if now != last or quiet >= 5:
                last, quiet = now, 0
                await self.tell_walls(
                    {
                        "type": "presence",
                        "origin": self.origin,
                        "connected": now[0],
                        "drawing": now[1],
                    }
                )


def _load_and_close() -> ExhibitSnapshot:
    """Read the exhibit from a worker thread and close that thread's connection:
    a refresh every few seconds must not leave idle connections behind."""
    try:
        return exhibit_snapshot_load()
    finally:
        connection.close()


_runtime: Runtime | None = None
_runtime_loop: asyncio.AbstractEventLoop | None = None


async def runtime_get() -> Runtime:
    """This process's runtime, started on first use in the running event loop."""
    global _runtime, _runtime_loop
    loop = asyncio.get_running_loop()
    if _runtime is None or _runtime_loop is not loop:
        _runtime, _runtime_loop = Runtime(), loop
        await _runtime.start()
    else:
        await _runtime.ready()
    return _runtime


async def runtime_stop() -> None:
    global _runtime, _runtime_loop
    if _runtime is not None and _runtime_loop is asyncio.get_running_loop():
        runtime, _runtime, _runtime_loop = _runtime, None, None
        await runtime.stop()


def runtime_peek() -> Runtime | None:
    return _runtime


async def control_broadcast() -> None:
    """Tell every process to re-read the exhibit (after a curator change)."""
    layer = get_channel_layer()
    await layer.group_send(CONTROL_GROUP, {"type": "exhibit.changed"})
