"""The curator's console (the admin's front page) and the pictures it shows: the
context of the page, a phone's strokes as a small SVG, and a sheet as an SVG whose
strokes name their phone, so a click on a stroke finds who drew it (selectors)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from django.db.models import Count, Q

from core.frames import stroke_key
from core.models import Exhibit, Segment, Sheet
from core.sheets import sheet_canvas, sheet_current, sheet_strokes
from projector.export import StoredStroke, stroke_path

THUMB_WIDTH = 160
PICTURE_WIDTH = 960


def sheets_with_phones(queryset=None):
    """Sheets with their visible stroke, segment and phone counts."""
    from curator.exhibit_admin import sheets_counted  # the one stroke count

    queryset = queryset if queryset is not None else Sheet.objects.all()
    return sheets_counted(queryset).annotate(
        phone_count=Count("segments__device", filter=Q(segments__removed=False), distinct=True)
    )


def _strokes(sheet: Sheet, device: str | None = None) -> list[dict]:
    if device is None:
        return sheet_strokes(sheet=sheet)
    # One phone's strokes only (the device index), grouped as sheet_strokes does.
    rows = (
        Segment.objects.filter(sheet=sheet, device=device, removed=False)
        .order_by("id")
        .values_list("client", "seq", "stroke", "color", "width", "points")
    )
    strokes: dict[str, dict] = {}
    for client, seq, stroke, color, width, points in rows.iterator(2000):
        key = stroke_key(client, stroke)
        entry = strokes.setdefault(
            key,
            {"stroke": key, "device": device, "color": color, "width": width, "segments": []},
        )
        entry["segments"].append((seq, {"points": points}))
    for entry in strokes.values():
        entry["segments"] = [segment for _, segment in sorted(entry["segments"], key=_first)]
    return list(strokes.values())


def _first(item: tuple) -> int:
    return item[0]


def _paths(strokes: list[dict], width: int, height: int, *, tagged: bool) -> list[str]:
    lines = []
    for stroke in strokes:
        points = [(float(p[0]), float(p[1])) for s in stroke["segments"] for p in s["points"]]
        if not points:
            continue
        stored = StoredStroke(stroke["stroke"], stroke["color"], stroke["width"], points)
        tags = (
            f" data-stroke={quoteattr(stroke['stroke'])} data-device={quoteattr(stroke['device'])}"
            if tagged
            else ""
        )
        # Never thinner than a pixel, so a fine line stays visible and clickable.
        stroke_width = max(stored.width * width, 1.0)
        lines.append(
            f"<path d={quoteattr(stroke_path(stored, width, height))} "
            f'stroke={quoteattr(stored.color)} stroke-width="{stroke_width:.2f}"{tags}/>'
        )
    return lines


def sheet_picture_svg(
    *, sheet: Sheet, device: str | None = None, width: int = PICTURE_WIDTH, tagged: bool = True
) -> str:
    """A sheet (or one phone's strokes on it) as an inline SVG; with `tagged`, every
    stroke carries data-stroke and data-device for the console's point-and-click."""
    aspect, background = sheet_canvas(sheet=sheet)
    height = max(1, round(width / aspect))
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="sheet-picture" data-sheet="{sheet.pk}">',
        f'<rect width="{width}" height="{height}" fill={quoteattr(background)}/>',
        '<g fill="none" stroke-linecap="round" stroke-linejoin="round">',
        *_paths(_strokes(sheet, device), width, height, tagged=tagged),
        "</g>",
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


def device_thumbnail_svg(*, device: str, sheet: Sheet | None = None) -> str:
    """A phone's visible strokes on a sheet (the current one by default), small."""
    sheet = sheet if sheet is not None else sheet_current()
    return sheet_picture_svg(sheet=sheet, device=device, width=THUMB_WIDTH, tagged=False)


def console_context(process: dict | None) -> dict:
    """What the console shows when it is first drawn (the page then listens live);
    `process` is this process's live numbers, which the admin reads from the runtime."""
    from projector.hours import hours_next

    exhibit = Exhibit.load()
    return {
        "exhibit": exhibit,
        "process": process,
        "sheet": sheet_current(),
        "next_transition": hours_next(),
    }
