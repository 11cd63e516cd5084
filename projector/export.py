"""A sheet as a picture: SVG (vector, printable at any size) and PNG (Pillow).

Strokes are drawn as the wall draws them: through the midpoints of their points with
quadratic curves, round caps and joins, in the order they were drawn. Removed
segments are left out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from PIL import Image, ImageDraw

from projector.models import Sheet
from projector.sheets import sheet_canvas, sheet_strokes

SVG_WIDTH = 1600
PNG_WIDTH = 3840
PNG_MIN_WIDTH, PNG_MAX_WIDTH = 64, 7680
CURVE_STEPS = 6  # line pieces per curve in the PNG


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
    height = round(width / aspect)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f"<title>Sheet {sheet.pk}</title>",
    ]
    if background:
        lines.append(f'<rect width="{width}" height="{height}" fill={quoteattr(color)}/>')
    lines.append('<g fill="none" stroke-linecap="round" stroke-linejoin="round">')
    for stroke in export_strokes(sheet=sheet):
        lines.append(
            f"<path d={quoteattr(stroke_path(stroke, width, height))} "
            f"stroke={quoteattr(stroke.color)} "
            f'stroke-width="{_number(max(stroke.width * width, 0.5))}"/>'
        )
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _flatten(points: list[tuple[float, float]], width: int, height: int):
    start, pieces = curve_pieces(points)
    out = [(start[0] * width, start[1] * height)]
    for control, end in pieces:
        x0, y0 = out[-1]
        cx, cy = control[0] * width, control[1] * height
        ex, ey = end[0] * width, end[1] * height
        for step in range(1, CURVE_STEPS + 1):
            t = step / CURVE_STEPS
            u = 1 - t
            out.append(
                (u * u * x0 + 2 * u * t * cx + t * t * ex, u * u * y0 + 2 * u * t * cy + t * t * ey)
            )
    return out


def sheet_png(*, sheet: Sheet, width: int = PNG_WIDTH) -> bytes:
    """The sheet as a PNG `width` pixels wide, at the exhibit's aspect ratio."""
    width = max(PNG_MIN_WIDTH, min(PNG_MAX_WIDTH, int(width)))
    aspect, color = sheet_canvas(sheet=sheet)
    height = max(1, round(width / aspect))
    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    for stroke in export_strokes(sheet=sheet):
        line = max(1, round(stroke.width * width))
        points = _flatten(stroke.points, width, height)
        if len(points) > 1:
            draw.line(points, fill=stroke.color, width=line, joint="curve")
        radius = line / 2
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=stroke.color)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
