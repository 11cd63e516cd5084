"""The Mixer: one per server process. Phones hand it accepted segments; every tick
it mixes them into one frame for the projector group, so the channel layer carries
one message per process per tick however many phones draw."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from core.frames import (
    AcceptedSegment,
    BatchSink,
    HiddenStroke,
    StoredBatch,
    encode_frame,
)
from projector.delay import DelayQueue
from projector.fairshare import fit_to_budget, thin

log = logging.getLogger(__name__)

# Frames that may leave between two ticks without waiting for one, shared by all the
# installation's processes (early_frames): with the tick's own, the walls get 12 + W
# frames a tick on average from W processes (and Redis as many publishes), whatever
# the crowd, and at most EARLY_BURST more a process in any one tick. A quiet room's
# leave at once while a bucket refilled at that rate holds one; a busier room's are
# spread over the tick, and segments that come meanwhile share one.
EAGER_FRAMES = 12
# A quiet room: this many segments a tick or fewer, on average over the last few ticks
# (25 phones drawing send about 19; 60, about 45), and its frames leave early. Beyond
# it they wait for the tick, where the wall's budget is shared fairly among phones.
QUIET_SEGMENTS = 48
# And this many points a tick or fewer (48 segments of a phone's own 3 points): a paced
# room sends few, full messages, and counted in segments alone 200 paced phones were a
# quiet room, sending 440 early frames a second for no one's benefit.
QUIET_POINTS = 160
EARLY_BURST = 4  # early frames that may leave back to back (the bucket's size)


def early_frames(processes: int) -> int:
    """One process's part of EAGER_FRAMES when `processes` share the walls (at least 1)."""
    return max(1, EAGER_FRAMES // max(1, processes))


Publish = Callable[[list[str]], Awaitable[None]]  # frames' texts, in seq order
Deliver = Callable[[str], None]  # one frame's text to this process's walls; never waits
Watch = Callable[[list[AcceptedSegment]], None]  # segments as walls are shown them


class Mixer:
    """Collects segments between ticks and publishes one frame per tick.

    Walls connected to this process get each frame at once from the tick (`deliver`):
    no Redis round trip, and they keep drawing through a Redis outage. With no
    `publish` (the in-memory layer: every wall is on this process) that is all.

    Publishing, for the walls of other processes, runs in its own task behind a small
    queue: a slow or failing channel layer (Redis restarting) delays or drops frames,
    never a phone. A dropped frame still took its seq and is still stored, so walls see
    the gap and resync. Frames that queued behind a slow publish leave together, in one
    layer message: one round trip for the backlog, so a busy moment does not snowball.
    """

    def __init__(
        self,
        *,
        origin: str,
        publish: Publish | None,
        writer: BatchSink | None,
        deliver: Deliver | None = None,
        watch: Watch | None = None,
        tick: float = 0.025,
        budget: int = 3000,
        sheet: int = 0,
        send_timeout: float = 2.0,
        queue_size: int = 16,
    ) -> None:
        self.origin = origin
        self.tick = tick
        self.budget = budget
        self.sheet = sheet
        self.seq = 0
        self._publish = publish
        self._deliver = deliver
        self._watch = watch  # the phones' view of the wall (projector.view)
        self._writer = writer
        self._send_timeout = send_timeout
        self._pending: list[AcceptedSegment] = []
        self._hidden: list[HiddenStroke] = []  # undos, stored with the next frame
        self._outbox: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self._tasks: list[asyncio.Task] = []
        self._soon = False  # an early frame is scheduled
        # Early frames are spent from a bucket refilled at `eager_frames` a tick that
        # holds EARLY_BURST: a quiet room's frames leave at once, a busier one's are
        # spread over the tick instead of spending the tick's part in its first ms.
        self._tokens = float(EARLY_BURST)
        self._tokens_at: float | None = None  # loop time the bucket was last counted
        # The museum-safe delay (0: off): stored at once, shown to walls after it.
        self.held: DelayQueue[tuple[int, int, AcceptedSegment]] = DelayQueue(0)
        self._released_seq = 0  # the last frame seq handed to walls
        self._since_tick = 0  # segments accepted since the last tick
        self._load = 0.0  # segments a tick, smoothed: one busy window is not a busy room
        self._points_since_tick = 0  # and their points
        self._points_load = 0.0  # points a tick, smoothed like the segments
        self.eager_frames = EAGER_FRAMES  # this process's part (early_frames)
        self._quiet = True  # the last windows were quiet: frames may leave early
        self._budget_left = budget  # wall points left in this tick (frames at once share it)
        self.frames_at_once = 0  # frames that left without waiting for a tick
        # Counters for the health page and the benchmark.
        self.points_in = 0
        self.points_out = 0
        self.frames_sent = 0
        self.frames_dropped = 0
        self.last_error: str | None = None

    def add(self, segment: AcceptedSegment) -> None:
        """Take an accepted segment. While the room is quiet (QUIET_SEGMENTS segments and
        QUIET_POINTS points a tick or fewer lately, and the last tick's window under half
        the wall's budget in points) it leaves early: at once while the bucket of
        early frames holds one (`eager_frames` a tick), else as soon as it does, with
        whatever else came meanwhile: `eager_frames` a tick on average. A room of a few
        dozen phones pays no batching delay; a busy room gets one frame per tick:
        Nagle's algorithm turned around."""
        self._pending.append(segment)
        self.points_in += len(segment.points)
        self._since_tick += 1
        self._points_since_tick += len(segment.points)
        if self._tasks and self._quiet and not self._soon:
            self._soon = True
            loop = asyncio.get_running_loop()
            wait = self._take_token(loop.time())
            if wait > 0:
                loop.call_later(wait, self._mix_soon)
            else:
                # call_soon, not now: what the same loop pass accepts joins this frame.
                loop.call_soon(self._mix_soon)

    def _take_token(self, now: float) -> float:
        """Spend one early frame from the bucket: how long until it is there."""
        rate = max(1, self.eager_frames) / self.tick  # tokens a second
        if self._tokens_at is not None:
            elapsed = now - self._tokens_at
            burst = min(EARLY_BURST, max(1, self.eager_frames))
            self._tokens = min(float(burst), self._tokens + elapsed * rate)
        self._tokens_at = now
        self._tokens -= 1
        return -self._tokens / rate if self._tokens < 0 else 0.0

    def hide(self, undo: HiddenStroke) -> None:
        """A phone took a stroke back: it is hidden in storage with the next frame,
        after every segment of it accepted before (the same batch or an earlier one,
        written in order), and what the delay still holds of it never shows."""
        self._hidden.append(undo)
        self.forget_stroke(undo.client, undo.stroke)
        if self._tasks and not self._soon:
            self._soon = True  # at once: the phone waits for its ack
            asyncio.get_running_loop().call_soon(self._mix_soon)

    def forget_stroke(self, client: str, stroke: int) -> int:
        """What the museum-safe delay holds of one stroke never reaches a wall."""
        if not len(self.held):
            return 0
        return len(
            self.held.remove(
                lambda held: held.item[2].client == client and held.item[2].stroke == stroke
            )
        )

    def _mix_soon(self) -> None:
        self._soon = False
        if self._pending or self._hidden:
            self._mix_now()

    @property
    def publishes(self) -> bool:
        """Whether frames go to the channel layer (other processes' walls exist)."""
        return self._publish is not None

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._tick_loop(), name="mixer-tick")]
            if self._publish is not None:
                self._tasks.append(asyncio.create_task(self._send_loop(), name="mixer-send"))

    async def stop(self) -> None:
        """Mix what is pending, give the sender a moment, then stop (on shutdown)."""
        await self._mix()
        deadline = time.monotonic() + 1.0
        while not self._outbox.empty() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def flush(self) -> list[str]:
        """Mix the pending segments into one frame (stored at once) and return the texts
        of the frames that may reach the walls now: this one, or, with the museum-safe
        delay on, those whose delay has passed."""
        frames: list[str] = []
        if self._pending or self._hidden:
            accepted, self._pending = self._pending, []
            hidden, self._hidden = self._hidden, []
            # Storage keeps every accepted point (an ack promises them); only the walls'
            # copy is thinned to the tick's budget.
            # The budget is a tick's: frames that left at once in it spent part of it.
            segments = share_budget(accepted, max(0, min(self.budget, self._budget_left)))
            if hidden:  # taken back before they were shown: walls never get them
                gone = {(h.client, h.stroke) for h in hidden}
                segments = [s for s in segments if (s.client, s.stroke) not in gone]
            self.seq += 1
            time_ms = int(time.time() * 1000)
            shown = sum(len(s.points) for s in segments)
            self.points_out += shown
            self._budget_left -= shown
            if self._writer is not None:
                batch = StoredBatch(self.sheet, self.origin, self.seq, accepted, hidden)
                self._writer.submit(batch)
            if self.held.delay or len(self.held):
                for segment in segments:
                    self.held.hold(segment.device, (self.seq, time_ms, segment))
            else:
                frames.append(self._frame(self.seq, time_ms, segments))
        if len(self.held):
            frames.extend(self._release())
        return frames

    def forget(self, device: str) -> int:
        """The curator removed a phone's strokes: those still held never reach a wall."""
        return len(self.held.remove_device(device))

    def _release(self) -> list[str]:
        """Frames whose delay has passed, with the same seqs they were stored under; a
        frame whose every segment was removed goes out empty, so walls see no gap."""
        frames: list[str] = []
        group: list[AcceptedSegment] = []
        group_seq, group_time = 0, 0
        for seq, time_ms, segment in self.held.release():
            if seq != group_seq and group:
                frames.extend(self._frames_through(group_seq, group_time, group))
                group = []
            group_seq, group_time = seq, time_ms
            group.append(segment)
        if group:
            frames.extend(self._frames_through(group_seq, group_time, group))
        return frames

    def _frames_through(self, seq: int, time_ms: int, segments: list) -> list[str]:
        gaps = [self._frame(empty, time_ms, []) for empty in range(self._released_seq + 1, seq)]
        return [*gaps, self._frame(seq, time_ms, segments)]

    def _frame(self, seq: int, time_ms: int, segments: list[AcceptedSegment]) -> str:
        """One frame's text for the walls, queued for the channel layer if it publishes."""
        self._released_seq = seq
        if self._watch is not None and segments:
            self._watch(segments)  # after the delay, thinned: what walls are shown
        text = encode_frame(
            origin=self.origin, seq=seq, sheet=self.sheet, time_ms=time_ms, segments=segments
        )
        if self._publish is None:
            self.frames_sent += 1  # every wall is on this process: `deliver` is all
            return text
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            self.frames_dropped += 1
        return text

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += self.tick
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_at = loop.time()  # we fell behind: do not try to catch up in a burst
            await self._mix()

    async def _mix(self) -> None:
        # The window that ends now decides the next one: few segments, frames at once.
        # Quiet also means far under the wall's budget: frames at once are not thinned
        # (thinning needs the tick's whole crowd to be fair among phones).
        self._load = (self._load + self._since_tick) / 2
        self._points_load = (self._points_load + self._points_since_tick) / 2
        quiet = (
            self._load <= QUIET_SEGMENTS
            and self._points_load <= QUIET_POINTS
            and 2 * self._points_since_tick <= self.budget
        )
        self._quiet = quiet
        self._since_tick = self._points_since_tick = 0
        self._mix_now(at_tick=True)
        self._budget_left = self.budget

    def _mix_now(self, at_tick: bool = False) -> None:
        try:
            frames = self.flush()
            if frames and not at_tick:
                self.frames_at_once += 1
            if self._deliver is not None:
                for text in frames:
                    self._deliver(text)
        except Exception:  # a bug here must not stop the wall
            log.exception("mixing a frame failed")

    async def _send_loop(self) -> None:
        while True:
            texts = [await self._outbox.get()]
            while not self._outbox.empty():
                texts.append(self._outbox.get_nowait())
            assert self._publish is not None  # this loop runs only when publishing
            try:
                await asyncio.wait_for(self._publish(texts), self._send_timeout)
                self.frames_sent += len(texts)
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.frames_dropped += len(texts)
                if self.last_error is None:
                    log.warning("publishing frames to the channel layer fails: %r", error)
                self.last_error = repr(error)


def share_budget(segments: list[AcceptedSegment], budget: int) -> list[AcceptedSegment]:
    """Thin the strokes over their fair share of the tick's budget, keeping each shape;
    thinned segments are copies (the accepted ones go to storage whole).

    Segment ends and starts carry meaning (a stroke's first and last point), so a
    segment keeps at least its last point; its identity is never dropped, only points.
    """
    return fit_to_budget(segments, budget, _thinned)


def _thinned(segment: AcceptedSegment, keep: int) -> AcceptedSegment:
    # A copy: the accepted segment itself goes to storage whole.
    return replace(segment, points=thin(segment.points, keep))  # type: ignore[arg-type]
