"""A sheet as a picture: SVG (vector, printable at any size) and PNG (Pillow).

Strokes are drawn as the wall draws them: through the midpoints of their points with
quadratic curves, round caps and joins, in the order they were drawn. Removed
segments are left out.

The PNG is as clean as the SVG: drawn at SUPERSAMPLE times the size (curves cut into
pieces of a few pixels, a round join at every vertex, so no notch where pieces meet)
and scaled down with a box filter (anti-aliased edges). It is drawn in horizontal
bands, so a 7680 px export holds tens of megabytes at a time, not gigabytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw

from core.models import Sheet
from core.sheets import sheet_canvas, sheet_strokes

SVG_WIDTH = 1600
PNG_WIDTH = 3840
PNG_MIN_WIDTH, PNG_MAX_WIDTH = 64, 7680
SUPERSAMPLE = 4  # the PNG is drawn this many times larger, then scaled down
BAND_ROWS = 128  # output rows drawn at a time
PIECE_PX = 3.0  # a curve is cut into straight pieces about this long (output px)
MAX_PIECES = 64  # per quadratic curve


@dataclass(slots=True)
class StoredStroke:
    key: str
    color: str
    width: float
    points: list[tuple[float, float]] = field(default_factory=list)


def export_strokes(*, sheet: Sheet) -> list[StoredStroke]:
    """The sheet's visible strokes in drawing order, each as one run of points."""
    result = []
    for stroke in sheet_strokes(sheet=sheet):
        points = [(float(p[0]), float(p[1])) for s in stroke["segments"] for p in s["points"]]
        if points:
            result.append(StoredStroke(stroke["stroke"], stroke["color"], stroke["width"], points))
    return result


def _midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def curve_pieces(points: list[tuple[float, float]]):
    """The stroke as a start point and quadratic pieces (control, end) through the
    midpoints of consecutive points: a smooth line that touches the first and last."""
    if len(points) < 3:
        return points[0], [(p, p) for p in points[1:]] or [(points[0], points[0])]
    pieces = []
    for i in range(1, len(points) - 1):
        pieces.append((points[i], _midpoint(points[i], points[i + 1])))
    pieces.append((points[-1], points[-1]))
    return points[0], pieces


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def stroke_path(stroke: StoredStroke, width: float, height: float) -> str:
    start, pieces = curve_pieces(stroke.points)
    parts = [f"M{_number(start[0] * width)} {_number(start[1] * height)}"]
    for control, end in pieces:
        parts.append(
            f"Q{_number(control[0] * width)} {_number(control[1] * height)} "
            f"{_number(end[0] * width)} {_number(end[1] * height)}"
        )
    return "".join(parts)


def sheet_svg(*, sheet: Sheet, width: int = SVG_WIDTH, background: bool = True) -> str:
    """The sheet as an SVG document: one <path> per stored stroke."""
    aspect, color = sheet_canvas(sheet=sheet)
    return strokes_svg(
        export_strokes(sheet=sheet),
        width=width,
        height=round(width / aspect),
        background=color if background else None,
        title=f"Sheet {sheet.pk}",
    )


def strokes_svg(
    strokes: list[StoredStroke],
    *,
    width: int,
    height: int,
    background: str | None,
    title: str = "",
) -> str:
    """Strokes as an SVG document `width` x `height`, on `background` (None: none)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
    ]
    if title:
        lines.append(f"<title>{escape(title)}</title>")
    if background:
        lines.append(f'<rect width="{width}" height="{height}" fill={quoteattr(background)}/>')
    lines.append('<g fill="none" stroke-linecap="round" stroke-linejoin="round">')
    for stroke in strokes:
        lines.append(
            f"<path d={quoteattr(stroke_path(stroke, width, height))} "
            f"stroke={quoteattr(stroke.color)} "
            f'stroke-width="{_number(max(stroke.width * width, 0.5))}"/>'
        )
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _flatten(points: list[tuple[float, float]], width: float, height: float):
    """The stroke's curve as a polyline in pixels, in pieces of about PIECE_PX."""
    start, pieces = curve_pieces(points)
    out = [(start[0] * width, start[1] * height)]
    for control, end in pieces:
        x0, y0 = out[-1]
        cx, cy = control[0] * width, control[1] * height
        ex, ey = end[0] * width, end[1] * height
        length = math.hypot(cx - x0, cy - y0) + math.hypot(ex - cx, ey - cy)
        steps = max(1, min(MAX_PIECES, math.ceil(length / PIECE_PX)))
        for step in range(1, steps + 1):
            t = step / steps
            u = 1 - t
            out.append(
                (u * u * x0 + 2 * u * t * cx + t * t * ex, u * u * y0 + 2 * u * t * cy + t * t * ey)
            )
    return out


def _runs(points: list[tuple[float, float]], top: float, bottom: float):
    """The stretches of a polyline whose pieces reach into rows top..bottom."""
    if len(points) == 1:
        if top <= points[0][1] <= bottom:
            yield points
        return
    run: list[tuple[float, float]] = []
    for a, b in zip(points, points[1:], strict=False):
        if min(a[1], b[1]) <= bottom and max(a[1], b[1]) >= top:
            if not run:
                run.append(a)
            run.append(b)
        elif run:
            yield run
            run = []
    if run:
        yield run


def _draw_band(draw: ImageDraw.ImageDraw, paths, top: int, rows: int, scale: int) -> None:
    for color, line, points, (y_min, y_max) in paths:
        reach = line / 2 + 1
        if y_max < top - reach or y_min > top + rows + reach:
            continue
        width = max(1, round(line * scale))
        radius = width / 2
        for run in _runs(points, top - reach, top + rows + reach):
            xy = [(x * scale, (y - top) * scale) for x, y in run]
            if len(xy) > 1:
                draw.line(xy, fill=color, width=width)
            for x, y in xy:  # round joins and caps: no notch where pieces meet
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)


def strokes_png(strokes: list[StoredStroke], *, width: int, height: int, background: str) -> bytes:
    """Strokes as an anti-aliased PNG `width` x `height` on `background`."""
    paths = []
    for stroke in strokes:
        line = max(stroke.width * width, 0.5)  # the SVG's minimum width too
        points = _flatten(stroke.points, width, height)
        ys = [y for _, y in points]
        paths.append((stroke.color, line, points, (min(ys), max(ys))))
    image = Image.new("RGB", (width, height), background)
    scale = SUPERSAMPLE
    for top in range(0, height, BAND_ROWS):
        rows = min(BAND_ROWS, height - top)
        band = Image.new("RGB", (width * scale, rows * scale), background)
        _draw_band(ImageDraw.Draw(band), paths, top, rows, scale)
        image.paste(band.resize((width, rows), Image.Resampling.BOX), (0, top))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def sheet_png(*, sheet: Sheet, width: int = PNG_WIDTH) -> bytes:
    """The sheet as a PNG `width` pixels wide, at the exhibit's aspect ratio."""
    width = max(PNG_MIN_WIDTH, min(PNG_MAX_WIDTH, int(width)))
    aspect, color = sheet_canvas(sheet=sheet)
    height = max(1, round(width / aspect))
    return strokes_png(export_strokes(sheet=sheet), width=width, height=height, background=color)
