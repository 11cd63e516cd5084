"""Opening hours: the wall opens and closes with the gallery.

At an opening the night's sheet is archived (a reset) and drawing resumes; at a
closing drawing pauses and the wall shows the closing message. `hours_tick(now)`
applies the latest transition that is due, exactly once across restarts and any
number of processes: it takes a row lock on the single `ScheduleState` row
(`select_for_update`; SQLite's IMMEDIATE transactions serialise the same way), and
the row records the last transition applied. `hours_loop()` calls it every few
seconds from each server process; whichever process comes first applies it, the
others find it done.

The first tick on a database that has never applied one only records where the
schedule stands: setting the hours at noon does not reset the wall that is being
drawn on; the schedule takes over from its next opening or closing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.utils import timezone

from projector.models import ClosedDay, OpeningHours, ScheduleState

log = logging.getLogger(__name__)

OPEN, CLOSE = "open", "close"
HOURS_SECONDS = 15.0  # how often each process looks; a transition is at most this late
LOOK_DAYS = 8  # a week and a day each way finds the last and the next transition
LABELS = {
    OPEN: "opening: the wall is reset and drawing resumes",
    CLOSE: "closing: drawing pauses and the wall shows the closing message",
}


@dataclass(frozen=True, slots=True)
class Transition:
    kind: str  # OPEN or CLOSE
    at: datetime  # aware, when it is due

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def _transitions(around: datetime) -> list[Transition]:
    """Every opening and closing from LOOK_DAYS before `around` to LOOK_DAYS after, in
    order, in the installation's time zone (TIME_ZONE)."""
    zone = timezone.get_current_timezone()
    local = timezone.localtime(around, zone).date()
    first, last = local - timedelta(days=LOOK_DAYS), local + timedelta(days=LOOK_DAYS)
    days = {row.weekday: row for row in OpeningHours.objects.filter(is_open=True)}
    if not days:
        return []
    closed = set(ClosedDay.objects.filter(date__range=(first, last)).values_list("date", flat=True))
    result = []
    day: date = first
    while day <= last:
        hours = days.get(day.weekday())
        if hours is not None and day not in closed and hours.closes > hours.opens:
            opens = timezone.make_aware(datetime.combine(day, hours.opens), zone)
            closes = timezone.make_aware(datetime.combine(day, hours.closes), zone)
            result += [Transition(OPEN, opens), Transition(CLOSE, closes)]
        day += timedelta(days=1)
    return result


def hours_due(now: datetime) -> Transition | None:
    """The latest transition at or before `now` (None without opening hours)."""
    past = [t for t in _transitions(now) if t.at <= now]
    return past[-1] if past else None


def hours_next(now: datetime | None = None) -> Transition | None:
    """The next transition after `now` (for the console)."""
    now = now or timezone.now()
    return next((t for t in _transitions(now) if t.at > now), None)


def _apply(transition: Transition) -> None:
    from projector.moderation import exhibit_reset, exhibit_update

    if transition.kind == OPEN:
        exhibit_reset()  # the night's sheet is archived, never deleted
        exhibit_update(paused=False, closed=False)
    else:
        exhibit_update(paused=True, closed=True)


def _who() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def hours_tick(now: datetime | None = None) -> Transition | None:
    """Apply the transition due at `now` unless some process already has; returns it
    if this call applied it. Safe to call from every process, as often as you like."""
    now = now or timezone.now()
    due = hours_due(now)
    if due is None:
        return None
    state = ScheduleState.objects.filter(pk=1).first()
    if state is None:
        ScheduleState.objects.get_or_create(pk=1)
    elif state.last_at is not None and state.last_at >= due.at:
        return None  # the common case, read without taking the lock
    with transaction.atomic():
        state = ScheduleState.objects.select_for_update().get(pk=1)
        if state.last_at is not None and state.last_at >= due.at:
            return None  # done already, here or by another process
        first = state.last_at is None
        if not first:
            _apply(due)
        state.last_kind, state.last_at = due.kind, due.at
        state.applied_at, state.applied_by = now, _who()
        state.save()
    if first:
        log.info("opening hours: starting from the %s due %s", due.kind, due.at)
        return None
    log.info("opening hours: %s due %s applied by %s", due.kind, due.at, _who())
    return due


def _tick_and_close() -> Transition | None:
    """One tick from a worker thread, closing that thread's connection after it."""
    try:
        return hours_tick()
    finally:
        connection.close()


async def hours_loop(interval: float = HOURS_SECONDS) -> None:
    """Each server process runs this: it ticks the opening hours for ever."""
    # Processes started together would all tick at once; spread them a little.
    await asyncio.sleep(random.uniform(0, min(interval, 3.0)))
    while True:
        try:
            await sync_to_async(_tick_and_close, thread_sensitive=False)()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the opening hours tick failed; trying again")
        await asyncio.sleep(interval)
