"""Sheets: the current canvas, resets, and what a wall loads (services and selectors)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from projector.models import Exhibit, Segment, Sheet


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


def stored_through(*, origins: list[str]) -> dict[str, int]:
    """Per server process, the highest frame seq whose segments are all stored.

    A process's writer stores each frame in one transaction, in seq order, so the
    highest stored seq is a watermark. An index makes each lookup one probe.
    """
    return {
        origin: last
        for origin in origins[:32]
        if (
            last := Segment.objects.filter(origin=origin)
            .order_by("-frame_seq")
            .values_list("frame_seq", flat=True)
            .first()
        )
        is not None
    }


def sheet_snapshot(*, sheet: Sheet, origins: list[str] = ()) -> dict:
    """Everything a wall needs to draw a sheet, grouped by stroke in drawing order,
    and the stored watermark of the sheet's processes and of `origins`."""
    sheet_origins = set(
        Segment.objects.filter(sheet=sheet).values_list("origin", flat=True).distinct()
    )
    stored = stored_through(origins=sorted(sheet_origins | set(origins)))
    strokes: dict[str, dict] = {}
    rows = (
        Segment.objects.filter(sheet=sheet, removed=False)
        .order_by("id")
        .values_list("client", "seq", "stroke", "device", "color", "width", "points", "is_end")
    )
    for client, seq, stroke, device, color, width, points, is_end in rows.iterator(2000):
        stroke_key = f"{client}:{stroke}"
        entry = strokes.get(stroke_key)
        if entry is None:
            entry = strokes[stroke_key] = {
                "stroke": stroke_key,
                "device": device,
                "color": color,
                "width": width,
                "segments": [],
            }
        entry["segments"].append({"key": f"{client}:{seq}", "points": points, "end": is_end})
    return {"sheet": sheet.pk, "stored": stored, "strokes": list(strokes.values())}
