"""The curator's actions, as services: reset, pause, remove a visitor's strokes,
block, tune the exhibit. Each writes the database, then (once the transaction has
committed) tells every server process to re-read the exhibit and the walls what
changed. Only the Django admin calls these; nothing on a WebSocket reaches them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.control import control_broadcast
from core.exhibit import exhibit_snapshot_load
from core.frames import PROJECTOR_GROUP, encode
from core.models import Device, Exhibit, Segment, Sheet
from core.sheets import sheet_current, sheet_reset

log = logging.getLogger(__name__)

SEND_TIMEOUT = 3.0
# Fields a curator may tune live (everything on Exhibit but its bookkeeping).
EXHIBIT_FIELDS = frozenset(
    f.name for f in Exhibit._meta.concrete_fields if f.name not in {"id", "updated_at"}
)


class ModerationError(Exception):
    """A curator action that cannot be done as asked (e.g. an unknown field)."""


def announce(*wall_messages: dict, removed: str = "") -> bool:
    """Make every process re-read the exhibit, then tell the walls; False if the
    channel layer failed (processes still catch up within the runtime's refresh).
    `removed` names a phone whose strokes are gone (the delay must drop what it holds)."""

    async def send() -> None:
        layer = get_channel_layer()
        details = {"removed": removed} if removed else {}
        await asyncio.wait_for(control_broadcast(**details), SEND_TIMEOUT)
        for message in wall_messages:
            event = {"type": "wall.message", "text": encode(message)}
            await asyncio.wait_for(layer.group_send(PROJECTOR_GROUP, event), SEND_TIMEOUT)

    try:
        async_to_sync(send)()
    except Exception as error:
        log.warning("announcing a curator change failed: %r", error)
        return False
    return True


def announce_on_commit(
    *, walls: Iterable[dict] | Callable[[], Iterable[dict]] = (), removed: str = ""
) -> None:
    """Announce after the surrounding transaction commits, so other processes read
    the new state. `walls` is a list of messages or a callable returning one."""

    def run() -> None:
        messages = walls() if callable(walls) else walls
        announce(*messages, removed=removed)

    transaction.on_commit(run)


def exhibit_reset() -> Sheet:
    """Archive the current sheet and start an empty one; walls and phones clear."""
    with transaction.atomic():
        sheet = sheet_reset()
        announce_on_commit(walls=[{"type": "reset", "sheet": sheet.pk}])
    log.info("curator reset the wall: sheet %d", sheet.pk)
    return sheet


def exhibit_pause(*, paused: bool) -> Exhibit:
    """Pause (or resume) drawing everywhere; the wall keeps its picture."""
    with transaction.atomic():
        exhibit = Exhibit.load()
        # Resuming by hand also ends a closing by the opening hours (the wall's message).
        reopen = not paused and exhibit.closed
        if exhibit.paused != paused or reopen:
            exhibit.paused = paused
            exhibit.closed = exhibit.closed and paused
            exhibit.save(update_fields=["paused", "closed", "updated_at"])
        # The walls hear it too: they show "Paused" while drawing is paused.
        announce_on_commit(walls=_exhibit_for_walls)
    return exhibit


def exhibit_update(*, exhibit: Exhibit | None = None, **changes: object) -> Exhibit:
    """Save new settings (on `exhibit` as the admin form left it, plus `changes`) and
    push them live to every process, phone and wall."""
    unknown = set(changes) - EXHIBIT_FIELDS
    if unknown:
        raise ModerationError(f"not exhibit settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        exhibit = exhibit if exhibit is not None else Exhibit.load()
        exhibit.pk = 1  # the single row
        for name, value in changes.items():
            setattr(exhibit, name, value)
        exhibit.full_clean()
        exhibit.save()
        announce_on_commit(walls=_exhibit_for_walls)
    return exhibit


def _exhibit_for_walls() -> list[dict]:
    return [{"type": "exhibit", "exhibit": exhibit_snapshot_load().for_wall()}]


def device_strokes_remove(*, device: str, sheet: Sheet | None = None) -> int:
    """Hide one visitor's strokes from a sheet (the current one by default); the
    segments stay stored with removed=True. Returns how many segments were hidden."""
    with transaction.atomic():
        sheet = sheet if sheet is not None else sheet_current()
        hidden = Segment.objects.filter(sheet=sheet, device=device, removed=False).update(
            removed=True
        )
        # Always: strokes held by the museum-safe delay are not in the database yet.
        walls = [{"type": "redraw", "sheet": sheet.pk, "reason": "removed"}] if hidden else []
        announce_on_commit(walls=walls, removed=device)
    log.info("curator removed %d segments of %s from sheet %d", hidden, device[:12], sheet.pk)
    return hidden


def device_block(*, device: str) -> Device:
    """Block a phone: its connections close with 4003 and it cannot come back."""
    return _device_set_blocked(device=device, blocked=True)


def device_unblock(*, device: str) -> Device:
    """Let a blocked phone draw again."""
    return _device_set_blocked(device=device, blocked=False)


def _device_set_blocked(*, device: str, blocked: bool) -> Device:
    with transaction.atomic():
        row, _ = Device.objects.get_or_create(id=device)
        if row.blocked != blocked:
            row.blocked = blocked
            row.save(update_fields=["blocked", "last_seen"])
        announce_on_commit()
    log.info("curator %s %s", "blocked" if blocked else "unblocked", device[:12])
    return row
