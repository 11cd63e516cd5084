"""The curator's console (the admin's front page) and the pictures it shows: the
context of the page, a phone's strokes as a small SVG, and a sheet as an SVG whose
strokes name their phone, so a click on a stroke finds who drew it (selectors);
the sheets' stroke counts and this process's live numbers, which the other admin
pages share; install_console makes the console the site's front page."""

from __future__ import annotations

import logging
from xml.sax.saxutils import quoteattr

from django.contrib import admin
from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse

from core.frames import stroke_key
from core.models import Exhibit, Segment, Sheet
from core.sheets import sheet_canvas, sheet_current, sheet_strokes
from installation.runtime import runtime_peek
from projector.export import StoredStroke, stroke_path

log = logging.getLogger(__name__)

THUMB_WIDTH = 160
PICTURE_WIDTH = 960
REPLAY_SPEEDS = (1, 4, 16, 60)
CONSOLE_SHEETS = 5


def sheets_counted(queryset: QuerySet | None = None) -> QuerySet:
    """Sheets with their visible stroke and segment counts."""
    queryset = queryset if queryset is not None else Sheet.objects.all()
    visible = Q(segments__removed=False)
    key = Concat(
        "segments__client",
        Value(":"),
        Cast("segments__stroke", CharField()),
        output_field=CharField(),
    )
    return queryset.annotate(
        segment_count=Count("segments", filter=visible),
        stroke_count=Count(key, filter=visible, distinct=True),
    )


def replay_url(sheet_id: int, speed: int) -> str:
    return f"{reverse('wall')}?replay={sheet_id}&speed={speed}"


def process_numbers() -> dict | None:
    """This process's live numbers, for the page's first paint (the page then adds up
    every process's presence reports). None if this process has no runtime, or its
    shape is not one this knows: the console must never fail for a number."""
    runtime = runtime_peek()
    if runtime is None:
        return None
    try:
        stats = runtime.stats()
        return {"origin": stats.origin, "connected": stats.phones, "drawing": stats.drawing}
    except Exception:
        log.warning("this process's live numbers are not readable", exc_info=True)
        return None


def sheets_with_phones(queryset=None):
    """Sheets with their visible stroke, segment and phone counts."""
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


def console_extra(request) -> dict:
    """The console's context on the admin's front page."""
    user = request.user
    context = console_context(process_numbers())
    exhibit = context["exhibit"]
    return {
        **context,
        "title": "Curator's console",
        "hours_url": reverse("admin:projector_openinghours_changelist"),
        "sheets": list(sheets_with_phones(Sheet.objects.order_by("-id"))[:CONSOLE_SHEETS]),
        "speeds": REPLAY_SPEEDS,
        "can_change": user.has_perm("core.change_exhibit"),
        "can_change_devices": user.has_perm("core.change_device"),
        "console_config": {
            "exhibit": {"aspect": float(exhibit.aspect_ratio), "background": exhibit.background},
            "delay_seconds": exhibit.delay_seconds,
            "ws_path": "/ws/wall/",
            "sheet_url": reverse("sheet"),
            "data_url": reverse("admin:wall-now-data"),
            "device_url": reverse("admin:core_device_changelist"),
        },
    }


def install_console(site: admin.AdminSite) -> None:
    """Make the site's front page the curator's console (the stock index with more
    context and another template; the app list stays below it)."""
    stock_index = site.index

    def index(request, extra_context=None):
        return stock_index(request, {**console_extra(request), **(extra_context or {})})

    site.index = index  # type: ignore[method-assign]  # the console is the front page
    site.index_template = "admin/projector/console.html"
    site.site_header = "The wall: curator's console"
    site.site_title = "The wall"
    site.index_title = "Curator's console"
