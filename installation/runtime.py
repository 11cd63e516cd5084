"""This server process's live state: the exhibit snapshot, the Mixer, the stroke
writer, the phones connected here and the one channel-layer listener that carries
curator changes between processes.

Phones never listen on the channel layer themselves (a Redis hiccup must not cut
them off): the process listens once, on the "control" group, and fans out locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection

from controller.ack_ledger import AckLedger
from controller.admission import Admission
from controller.claims import ClientClaims
from controller.colors import color_pick
from controller.ink import InkLedger, MessageRate
from controller.ink_store import ink_store_for
from controller.pace import PaceMeter
from controller.undo import DrawnStroke, RecentStrokes
from core import close_codes
from core.control import CONTROL_GROUP
from core.exhibit import ExhibitSnapshot, exhibit_snapshot_load
from core.exhibit_cache import exhibit_remember
from core.frames import PROJECTOR_GROUP, AcceptedSegment, HiddenStroke, encode, stroke_key
from core.storage import SegmentWriter, clients_stored, stroke_stored
from installation.acks import AckPacer
from installation.control import ControlListener
from installation.fanout import WallFanout
from installation.layer_watch import LayerWatch
from installation.line import Line
from installation.lookups import BatchedLookup
from installation.turns import in_turns
from projector.archiver import Archiver
from projector.fairshare import process_budgets
from projector.hours import hours_loop
from projector.mixer import Mixer, early_frames
from projector.view import VIEW_SECONDS, ViewCollector, view_budget
from projector.view_cache import view_cache_forget

log = logging.getLogger(__name__)

REFRESH_SECONDS = 15.0  # safety net if a control message is lost
PRESENCE_SECONDS = 2.0
STORAGE_BEHIND_SECONDS = 5.0  # /healthz is degraded when storage is further behind
LOSS_MEMORY_SECONDS = 300.0  # and for this long after points were refused
# Walls resync this long after the layer is heard again (and once more, later).
RESYNC_AFTER_SECONDS = (1.0, STORAGE_BEHIND_SECONDS)


class PhoneConnection(Protocol):
    """What the runtime needs of a connected phone (the consumer implements it)."""

    device: str

    def notify(self, message: dict) -> None: ...

    def kick(self, code: int, state: str) -> None: ...

    def send_acks(self, now: float, keepalive: float) -> None: ...

    def waiting(self) -> bool: ...

    def view(self, text: str) -> None: ...


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


@dataclass
class RuntimeStats:
    """What /healthz and the curator's console read of this process."""

    origin: str
    phones: int
    drawing: int
    walls: int
    frames_sent: int
    frames_dropped: int
    slow_closed: int
    storage: dict
    storage_full_drops: int
    storage_behind_seconds: float
    degraded: list[str] = field(default_factory=list)


class Runtime:
    """One per server process; consumers call its methods (it is their SessionHost)."""

    def __init__(self) -> None:
        self.origin = f"{os.getpid():x}{secrets.token_hex(2)}"
        self.exhibit = ExhibitSnapshot(sheet=0)
        self.ink = InkLedger(rate=self.exhibit.ink_rate, burst=self.exhibit.ink_burst)
        self.ink_store = ink_store_for(settings.REDIS_URL)
        self.rates: LRU = LRU(100_000)  # device -> MessageRate
        self.strokes: LRU = LRU(100_000)  # client -> {stroke: (color, width)}
        self.recent: LRU = LRU(100_000)  # client -> RecentStrokes (for undo)
        self.acks = AckLedger()
        self.pace = PaceMeter(budget=settings.MESSAGE_BUDGET)
        self.store_backlog_max: int = settings.STORE_BACKLOG_MAX  # read once: asked per message
        self.ack_pacer = AckPacer(self.acks)
        self.claims = ClientClaims(
            stored=BatchedLookup(_clients_stored, default=list), redis_url=settings.REDIS_URL
        )
        self.phones: dict[str, set[PhoneConnection]] = {}
        self.walls = WallFanout()
        self.line = Line(Admission(capacity=self.exhibit.max_drawing))
        self.violations: Counter[str] = Counter()
        self.slow_closed = 0
        self.unstored = 0  # segments handed to storage and not yet committed
        self.storage_full_drops = 0
        self._last_loss = 0.0  # monotonic time of the last storage_full drop
        self.layer = get_channel_layer()
        self.view = ViewCollector()  # the phones' faint view of the wall (projector.view)
        self._loop: asyncio.AbstractEventLoop | None = None
        flush = settings.STORE_FLUSH_MS / 1000
        self.writer: Archiver | SegmentWriter = (
            Archiver(flush_interval=flush, on_committed=self._committed_from_thread)
            if settings.STORE_PROCESS
            else SegmentWriter(flush_interval=flush, on_committed=self._committed_from_thread)
        )
        self.mixer = Mixer(
            origin=self.origin,
            # On the in-memory layer every wall is on this process and gets frames
            # from `deliver`; publishing them as well would only be thrown away.
            publish=None if isinstance(self.layer, InMemoryChannelLayer) else self._publish_frames,
            deliver=self.walls.deliver,
            watch=self.view.add,
            writer=self.writer,
            tick=settings.TICK_MS / 1000,
        )
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._late: set[asyncio.Task] = set()
        # origin -> (phones drawing, points a tick asked lately, when reported)
        self.loads: dict[str, tuple[int, int, float]] = {}
        self._points_seen = 0  # the Mixer's points_in at the last report
        self.control = ControlListener(self.layer, self._on_control)
        # Only the pubsub layer can lose its subscription without a word (see
        # installation.layer_watch); the in-memory one has no other process to hear.
        self.layer_watch: LayerWatch | None = (
            LayerWatch(self.layer, self.origin, self._layer_restored)
            if self.mixer.publishes and hasattr(self.layer, "_get_layer")
            else None
        )

    # -- lifecycle --------------------------------------------------------------

    async def start(self) -> None:
        """Runs once per process, on the first connection or at lifespan startup."""
        self._loop = asyncio.get_running_loop()
        try:
            await self.reload()
        except Exception:
            log.exception("loading the exhibit failed; retrying in the background")
        finally:
            self._ready.set()
        self.writer.start()
        self.mixer.start()
        self._tasks = [
            asyncio.create_task(self.control.run(), name="runtime-control"),
            asyncio.create_task(self._refresh_loop(), name="runtime-refresh"),
            asyncio.create_task(self._presence_loop(), name="runtime-presence"),
            asyncio.create_task(self.ack_pacer.run(), name="runtime-acks"),
            asyncio.create_task(self._view_loop(), name="runtime-view"),
            # Every process ticks the opening hours; a row lock lets one apply each.
            asyncio.create_task(hours_loop(), name="runtime-hours"),
        ]
        if self.layer_watch is not None:
            self._tasks.append(asyncio.create_task(self.layer_watch.run(), name="runtime-layer"))

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
        exhibit_remember(after)
        if after.sheet != self.mixer.sheet:
            self.mixer.held.clear()  # a reset: what waited belongs to the archived sheet
            self.view.clear()
            view_cache_forget()
        self.mixer.sheet = after.sheet
        self._take_wall_part()
        self.mixer.held.set_delay(after.delay_seconds)
        if after.phone_view != before.phone_view:
            view_cache_forget()
        if (before.ink_rate, before.ink_burst) != (after.ink_rate, after.ink_burst):
            self.ink.retune(after.ink_rate, after.ink_burst)
        self.line.admission.capacity = after.max_drawing
        if before.sheet == 0:
            return  # first load: nobody to tell
        self._tell_phones(before, after)

    def _tell_phones(self, before: ExhibitSnapshot, after: ExhibitSnapshot) -> None:
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
        for device in after.blocked - before.blocked:
            for phone in list(self.phones.get(device, ())):
                phone.kick(close_codes.BLOCKED, "blocked")
        for phones in list(self.phones.values()):
            for phone in list(phones):
                for message in messages:
                    phone.notify(message)
        self.line.let_in()

    # -- phones -----------------------------------------------------------------

    def register(self, phone: PhoneConnection) -> None:
        self.phones.setdefault(phone.device, set()).add(phone)

    def release(self, phone: PhoneConnection, client: str | None) -> None:
        """Everything a phone's connection held, given back (however it closed)."""
        sessions = self.phones.get(phone.device)
        if sessions is not None:
            sessions.discard(phone)
            if not sessions:
                del self.phones[phone.device]
        self.ack_pacer.unbind(client, phone)
        self.line.leave(phone, phone.device)

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

    def open_strokes(self, client: str) -> dict[int, tuple[str, float]]:
        strokes = self.strokes.get(client)
        if strokes is None:
            strokes = self.strokes[client] = {}
        return strokes

    def admitted(self, phone: object, device: str) -> bool:
        return self.line.admission.admitted(phone, device)

    def storage_full(self) -> bool:
        """Whether what waits on the database has reached its bound (STORE_BACKLOG_MAX):
        past it, points are refused (and the phone told) rather than held."""
        if self.unstored < self.store_backlog_max:
            return False
        self.storage_full_drops += 1
        self._last_loss = time.monotonic()
        return True

    def draw(self, segment: AcceptedSegment) -> None:
        self.unstored += 1
        self.mixer.add(segment)
        self.line.admission.touch(segment.device)

    def recent_strokes(self, client: str) -> RecentStrokes:
        recent = self.recent.get(client)
        if recent is None:
            recent = self.recent[client] = RecentStrokes()
        return recent

    def hide(self, undo: HiddenStroke) -> None:
        """A phone took a stroke back: storage hides it with the next frame; walls
        take it off at once, and the other processes drop what their delay holds."""
        self.mixer.hide(undo)
        self.view.forget_stroke(undo.key)  # before the next view is taken
        self._later(self._tell_hidden(undo, self.exhibit.sheet))
        self._later(self._view_remove(undo.key, self.exhibit.sheet))

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task of its own, kept until it is done."""
        task = asyncio.create_task(work)
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def _tell_hidden(self, undo: HiddenStroke, sheet: int) -> None:
        await self.tell_walls({"type": "remove", "sheet": sheet, "strokes": [undo.key]})
        if self.mixer.publishes:  # other processes exist
            message = {
                "type": "stroke.hidden",
                "origin": self.origin,
                "client": undo.client,
                "stroke": undo.stroke,
            }
            with contextlib.suppress(Exception):  # their walls got "remove" all the same
                await asyncio.wait_for(self.layer.group_send(CONTROL_GROUP, message), 2.0)

    async def stroke_lookup(self, client: str, stroke: int) -> DrawnStroke | None:
        """What storage knows of a stroke this process does not remember; None if
        nothing (or if the database does not answer in time: the undo is refused)."""
        try:
            found = await asyncio.wait_for(
                sync_to_async(_stroke_stored_and_close, thread_sensitive=False)(client, stroke),
                2.0,
            )
        except Exception as error:
            log.warning("looking up a stroke to undo failed: %r", error)
            return None
        return DrawnStroke(*found) if found is not None else None

    def color_for(self, device: str, excluding: object = None) -> str | None:
        """A palette colour nobody drawing on this process has now (where it can be)."""
        taken: list[str] = []
        for phones in list(self.phones.values()):
            for phone in phones:
                if phone is excluding:
                    continue
                color = getattr(phone, "color", None)
                if color:
                    taken.append(color)
        return color_pick(self.exhibit.palette, taken, device)

    def _committed_from_thread(self, batches: list) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: shutting down
            loop.call_soon_threadsafe(self._committed, batches)

    def _committed(self, batches: list) -> None:
        self.unstored -= sum(batch.size for batch in batches)
        self.ack_pacer.committed(batches)

    def slow_client_closed(self) -> None:
        self.slow_closed += 1

    def stats(self) -> RuntimeStats:
        writer = self.writer
        oldest = writer.oldest()
        behind = max(0.0, time.time() - oldest) if oldest is not None else 0.0
        storage = writer.status()
        stats = RuntimeStats(
            origin=self.origin,
            phones=sum(len(p) for p in self.phones.values()),
            drawing=self.line.admission.drawing_count(),
            walls=len(self.walls),
            frames_sent=self.mixer.frames_sent,
            frames_dropped=self.mixer.frames_dropped,
            slow_closed=self.slow_closed,
            storage=storage,
            storage_full_drops=self.storage_full_drops,
            storage_behind_seconds=round(behind, 1),
        )
        if behind > STORAGE_BEHIND_SECONDS:
            stats.degraded.append(f"storage is {behind:.0f} s behind")
        if storage.get("failing"):
            stats.degraded.append("the database refuses writes")
        if self._last_loss and time.monotonic() - self._last_loss < LOSS_MEMORY_SECONDS:
            stats.degraded.append("points were refused: the storage backlog is full")
        return stats

    # -- channel layer ----------------------------------------------------------

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

    async def _layer_restored(self) -> None:
        """This process hears the layer again after a spell of hearing nothing: what
        the other processes published meanwhile never reached its walls, and a wall
        sees no seq gap if they publish nothing more. The walls here fetch the sheet
        and merge it ("resync") once that is stored: after a flush or so, and again
        when storage would be called behind (/healthz), in case it was."""
        waited = 0.0
        for delay in RESYNC_AFTER_SECONDS:
            await asyncio.sleep(delay - waited)
            waited = delay
            self.walls.tell(encode({"type": "resync", "sheet": self.exhibit.sheet}))

    async def _on_control(self, message: dict) -> None:
        if self.layer_watch is not None and self.layer_watch.heard(message):
            return
        if message.get("type") == "wall.load" and message.get("origin") != self.origin:
            drawing, demand = message["load"]
            self.loads[message["origin"]] = (int(drawing), int(demand), time.monotonic())
            return
        if message.get("type") == "stroke.hidden" and message.get("origin") != self.origin:
            client, stroke = str(message["client"]), int(message["stroke"])
            self.mixer.forget_stroke(client, stroke)
            key = stroke_key(client, stroke)
            self.view.forget_stroke(key)
            await self._view_remove(key, self.exhibit.sheet)
            return
        if message.get("type") == "exhibit.changed":
            removed = message.get("removed")
            if removed:
                self.forget(removed)
            await self.reload()
            if removed:
                self._view_redraw()
            return
        if message.get("type") == "phone.view" and message.get("origin") != self.origin:
            await self._view_to_phones(message["text"])

    def forget(self, device: str) -> None:
        """The curator removed a phone's strokes: those held by the delay never show,
        and those still on their way to the database are hidden once stored."""
        self.view.forget(device)
        if self.mixer.forget(device) or self.unstored:
            self._later(self._hide_late(device, self.exhibit.sheet))

    async def _hide_late(self, device: str, sheet: int) -> None:
        await asyncio.sleep(settings.STORE_FLUSH_MS / 1000 * 5 + 1)
        try:
            await sync_to_async(_hide_and_close, thread_sensitive=False)(device, sheet)
        except Exception:
            log.exception("hiding a removed phone's last strokes failed")

    # -- the phones' view of the wall ------------------------------------------------

    async def _view_loop(self) -> None:
        while True:
            await asyncio.sleep(VIEW_SECONDS)
            await self.send_view()

    async def send_view(self) -> None:
        """What this process's walls were shown lately, once to every phone of every
        process: encoded once here, the same text to each (best-effort: a phone whose
        queue is backed up skips it; see ControllerConsumer.view)."""
        phones = sum(len(p) for p in self.phones.values())
        text = self.view.take(self.exhibit.sheet, view_budget(phones))
        if text is None or not self.exhibit.phone_view:
            return  # the curator switched the view off: collected, then let go
        await self._view_to_phones(text)
        if self.mixer.publishes:
            message = {"type": "phone.view", "origin": self.origin, "text": text}
            with contextlib.suppress(Exception):  # a lost view only leaves the sketch short
                await asyncio.wait_for(self.layer.group_send(CONTROL_GROUP, message), 2.0)

    async def _view_to_phones(self, text: str) -> None:
        await self._to_phones(lambda phone: phone.view(text))

    async def _to_phones(self, act: Callable[[PhoneConnection], None]) -> None:
        """`act` on every phone of this process, in turns with the sockets."""
        await in_turns([phone for each in self.phones.values() for phone in each], act)

    async def _view_remove(self, key: str, sheet: int) -> None:
        """A phone took a stroke back: it leaves the phones' views as it leaves the
        walls, from their memory (a refetch by every phone on every undo would cost a
        request a phone). In turns with the sockets: visitors undo often, and a view
        already on its way cannot bring it back (phones keep what was removed)."""
        view_cache_forget()
        if not self.exhibit.phone_view:
            return
        message = {"type": "remove", "sheet": sheet, "strokes": [key]}
        await self._to_phones(lambda phone: phone.notify(message))

    def _view_redraw(self) -> None:
        """The curator removed strokes: phones fetch their view of the sheet again."""
        view_cache_forget()
        message = {"type": "redraw", "sheet": self.exhibit.sheet, "reason": "removed"}
        for phones in list(self.phones.values()):
            for phone in list(phones):
                phone.notify(message)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.reload()
            except Exception:
                log.exception("refreshing the exhibit failed")

    async def _share_the_wall(self) -> None:
        """Tell the other processes what this one asks of the wall, and take this
        process's part of the wall's budget (projector.fairshare.process_budgets)."""
        points, ticks = self.mixer.points_in, PRESENCE_SECONDS / self.mixer.tick
        asked = round((points - self._points_seen) / ticks)
        self._points_seen = points
        load = (self.line.admission.drawing_count(), asked)
        self.loads[self.origin] = (*load, time.monotonic())
        if self.mixer.publishes:
            message = {"type": "wall.load", "origin": self.origin, "load": list(load)}
            with contextlib.suppress(Exception):  # a lost report only ages out
                await asyncio.wait_for(self.layer.group_send(CONTROL_GROUP, message), 2.0)
        self._take_wall_part()

    def _take_wall_part(self) -> None:
        """This process's part of what the walls take from all processes: points a tick,
        and early frames (more processes, fewer each)."""
        self.mixer.budget = self._wall_part()
        self.mixer.eager_frames = early_frames(len(self.loads))

    def _wall_part(self) -> int:
        budget = self.exhibit.wall_budget
        fresh = time.monotonic() - 3 * PRESENCE_SECONDS
        for origin in [o for o, (*_, at) in self.loads.items() if at < fresh]:
            del self.loads[origin]
        if len(self.loads) <= 1:
            return budget
        # Asking a little more than lately lets a growing crowd grow; what nobody asks
        # for is split evenly, so a process whose phones just started is not starved.
        asks = {o: (drawing, demand * 3 // 2) for o, (drawing, demand, _) in self.loads.items()}
        shares = process_budgets(asks, budget)
        spare = max(0, budget - sum(shares.values())) // len(shares)
        return shares.get(self.origin, 0) + spare

    async def _presence_loop(self) -> None:
        last: tuple[int, int] | None = None
        quiet = 0
        while True:
            await asyncio.sleep(PRESENCE_SECONDS)
            await self._share_the_wall()
            self.line.rotate()
            now = (len(self.phones), self.line.admission.drawing_count())
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


async def _clients_stored(clients: list[str]) -> dict[str, list[tuple[str, int]]]:
    return await sync_to_async(clients_stored, thread_sensitive=False)(clients)


def _hide_and_close(device: str, sheet: int) -> None:
    from core.models import Segment

    try:
        Segment.objects.filter(sheet_id=sheet, device=device, removed=False).update(removed=True)
    finally:
        connection.close()


def _stroke_stored_and_close(client: str, stroke: int) -> tuple[int, float, bool] | None:
    try:
        return stroke_stored(client, stroke)
    finally:
        connection.close()


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
