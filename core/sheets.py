"""Sheets: the current canvas, resets, and what a wall loads (services and selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.frames import segment_key, stroke_key
from core.models import Exhibit, Segment, Sheet


def sheet_current() -> Sheet:
    """The sheet phones draw on now; the first one is made on demand."""
    sheet = Sheet.objects.filter(ended_at__isnull=True).order_by("-id").first()
    if sheet is None:
        with transaction.atomic():
            sheet = Sheet.objects.select_for_update().filter(ended_at__isnull=True).first()
            if sheet is None:
                sheet = _sheet_new()
    return sheet


def sheet_reset() -> Sheet:
    """Archive the current sheet and start an empty one."""
    with transaction.atomic():
        Sheet.objects.filter(ended_at__isnull=True).update(ended_at=timezone.now())
        return _sheet_new()


def sheet_canvas(*, sheet: Sheet) -> tuple[float, str]:
    """The aspect ratio and background a sheet was drawn with (the exhibit's now for
    sheets made before sheets kept their own)."""
    exhibit = Exhibit.load()
    aspect = sheet.aspect_ratio or float(exhibit.aspect_ratio) or 16 / 9
    return aspect, sheet.background or exhibit.background


def _sheet_new() -> Sheet:
    exhibit = Exhibit.load()
    return Sheet.objects.create(
        aspect_ratio=float(exhibit.aspect_ratio), background=exhibit.background
    )


def stored_through(*, origins: Sequence[str], before: datetime | None = None) -> dict[str, int]:
    """Per server process, the highest frame seq whose segments are all stored (with
    `before`: and accepted by then, the museum-safe delay's cut).

    A process's writer stores each frame in one transaction, in seq order, so the
    highest stored seq is a watermark. An index makes each lookup one probe.
    """
    segments = Segment.objects.all()
    if before is not None:
        segments = segments.filter(created_at__lte=before)
    return {
        origin: last
        for origin in origins[:32]
        if (
            last := segments.filter(origin=origin)
            .order_by("-frame_seq")
            .values_list("frame_seq", flat=True)
            .first()
        )
        is not None
    }


def sheet_snapshot(
    *,
    sheet: Sheet,
    origins: Sequence[str] = (),
    before: datetime | None = None,
    pending_after: datetime | None = None,
) -> dict:
    """Everything a wall needs to draw a sheet, grouped by stroke in drawing order,
    and the stored watermark of the sheet's processes and of `origins`. With `before`,
    only what was accepted by then (what the museum-safe delay has let walls see)."""
    sheet_origins = set(
        Segment.objects.filter(sheet=sheet).values_list("origin", flat=True).distinct()
    )
    stored = stored_through(origins=sorted(sheet_origins | set(origins)), before=before)
    strokes = sheet_strokes(sheet=sheet, before=before, pending_after=pending_after)
    return {"sheet": sheet.pk, "stored": stored, "strokes": strokes}


STROKE_COLUMNS = ("client", "seq", "stroke", "device", "color", "width", "points", "is_end")


def sheet_strokes(
    *,
    sheet: Sheet,
    with_time: bool = False,
    before: datetime | None = None,
    pending_after: datetime | None = None,
    latest: int | None = None,
) -> list[dict]:
    """A sheet's visible strokes in drawing order, each with its segments in seq order;
    with `with_time`, each segment's `t` is when it was accepted (ms since the epoch);
    with `before`, only segments accepted by then; with `pending_after`, segments
    accepted later carry `"pending": true` (the museum-safe delay still holds them);
    with `latest`, only the last that many segments stored.

    The one reading of stored strokes: the wall's sheet, the replay and the exports."""
    timed = with_time or pending_after is not None
    columns = (*STROKE_COLUMNS, "created_at") if timed else STROKE_COLUMNS
    rows = Segment.objects.filter(sheet=sheet, removed=False)
    if before is not None:
        rows = rows.filter(created_at__lte=before)
    if latest is not None:
        first = rows.order_by("-id").values_list("id", flat=True)[latest - 1 : latest].first()
        if first is not None:
            rows = rows.filter(id__gte=first)
    strokes: dict[str, dict] = {}
    row: tuple
    for row in rows.order_by("id").values_list(*columns).iterator(2000):
        client, seq, stroke, device, color, width, points, is_end = row[:8]
        key = stroke_key(client, stroke)
        entry = strokes.get(key)
        if entry is None:
            entry = strokes[key] = {
                "stroke": key,
                "device": device,
                "color": color,
                "width": width,
                "segments": [],
            }
        segment = {"key": segment_key(client, seq), "points": points, "end": is_end}
        if with_time:
            segment["t"] = int(row[8].timestamp() * 1000)
        if pending_after is not None and row[8] > pending_after:
            segment["pending"] = True
            segment["t"] = int(row[8].timestamp() * 1000)  # the console counts down from it
        entry["segments"].append((seq, segment))
    for entry in strokes.values():
        # Stored order is acceptance order; a resend after a reconnect can come later.
        entry["segments"] = [segment for _, segment in sorted(entry["segments"], key=_by_seq)]
    return list(strokes.values())


def _by_seq(item: tuple[int, dict]) -> int:
    return item[0]
