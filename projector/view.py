"""The phones' faint view of the wall: the strokes walls were shown, made coarse.

A phone draws it faintly behind the visitor's own strokes (docs/protocol.md, "The
view of the wall"). It must cost the server little whatever the number of phones, so
it is built once per interval per process from the segments the Mixer has already
released to walls (after the museum-safe delay), encoded once, and the same text goes
to every phone. Coarse: points on a grid (3 decimals), points closer than GRID
dropped, pressure dropped, and a point budget per message shared fairly among phones
as the wall's is (projector.fairshare). Plain code: no clock, no I/O.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson

from projector.fairshare import evenly, fit_to_budget, thin

VIEW_SECONDS = 1.0  # how often a process sends its view (only when something was drawn)
VIEW_POINTS = 400  # points per view message at most: a faint sketch, not the wall
# Every phone gets the same view, so a crowd multiplies its size: together the phones of
# a process get at most this many points a second (bytes on the venue's Wi-Fi, and the
# server's sends), down to VIEW_POINTS_MIN a view.
VIEW_POINTS_ALL = 40_000
VIEW_POINTS_MIN = 60
SNAPSHOT_POINTS = 8000  # points in GET /projector/view/, the picture so far
# ... made from the sheet's latest segments only: a sheet drawn on for hours holds
# hundreds of thousands, and reading them all for every second's snapshot stopped a
# server (measured: 300 phones joining a sheet of about 300,000 segments).
SNAPSHOT_SEGMENTS = 3000
GRID = 0.004  # of the canvas: closer points add nothing a faint phone view shows
LAST_POINTS = 10_000  # strokes whose last point is remembered, to join the next piece
OVERSAMPLE = 8  # points a view's budget's worth kept before the grid and the fair share
# Points a phone's piece needs to read as a line in a faint sketch. A crowd too big for
# every phone to get this many in one view takes turns instead (ViewCollector._in_turn):
# split evenly, 350 phones would get under two points each, and the view would be empty.
TURN_POINTS = 8


def coarse(points: Iterable[Sequence[float]], after: Sequence[float] | None = None) -> list:
    """A polyline on the view's grid: [x, y] rounded to 3 decimals, each point at
    least GRID from the one kept before it (from `after`, the previous piece's end);
    the last point is always kept, so the line reaches where the finger went."""
    kept: list[list[float]] = []
    last = after
    final: list[float] | None = None
    for point in points:
        final = [round(point[0], 3), round(point[1], 3)]
        if last is None or abs(final[0] - last[0]) + abs(final[1] - last[1]) >= GRID:
            kept.append(final)
            last = final
    if final is not None and last is not final:
        kept.append(final)  # skipped for being close: the end is kept all the same
    return kept


@dataclass(slots=True)
class ViewStroke:
    """One stroke's piece in a view: its key, its style and its coarse points."""

    device: str  # budget shares are per phone, as on the wall
    stroke: str  # its key ("client:stroke"): a phone's undo names it in `remove`
    color: str
    width: float
    points: list = field(default_factory=list)
    # The segments' points as they came, made coarse only when the view is built.
    raw: list = field(default_factory=list)
    raw_count: int = 0

    def make_coarse(self, keep: int) -> None:
        """`points` from `raw`: first cut evenly to `keep` points if it has more (a
        crowd's view has room for a few points a stroke, and the grid would drop most
        of them anyway), then put on the view's grid."""
        self.points = coarse(evenly([point for piece in self.raw for point in piece], keep))
        self.raw, self.raw_count = [], 0

    def as_wire(self) -> dict:
        return {
            "stroke": self.stroke,
            "color": self.color,
            "width": self.width,
            "points": self.points,
        }


def view_budget(phones: int) -> int:
    """Points in one view for this many phones (VIEW_POINTS_ALL shared among them)."""
    return max(VIEW_POINTS_MIN, min(VIEW_POINTS, VIEW_POINTS_ALL // max(1, phones)))


def fit_budget(strokes: list[ViewStroke], budget: int) -> list[ViewStroke]:
    """Thin the strokes to `budget` points in all, max-min fair per phone; a stroke
    keeps its ends and its shape (fairshare.thin). A piece whose share is under two
    points is left out (a lone dot says little and costs a stroke's fields): the
    stroke's next piece then goes on from where its last piece sent ended."""
    return fit_to_budget(strokes, budget, _thinned_stroke, min_points=2)


def _thinned_stroke(stroke: ViewStroke, keep: int) -> ViewStroke:
    # In place: the pieces are the collector's own, built for this one view.
    stroke.points = _thinned(stroke.points, keep)
    return stroke


def _thinned(points: list, keep: int) -> list:
    # Visvalingam (fairshare.thin) is quadratic: long strokes of the snapshot are
    # first cut down evenly, then the last few points go by area.
    if len(points) > 4 * keep:
        points = evenly(points, 2 * keep + 1)
    return [list(p) for p in thin(points, keep)]


def view_message(*, sheet: int, strokes: list[ViewStroke]) -> str:
    """A `view` message's text, encoded once for every phone."""
    return orjson.dumps(
        {"type": "view", "sheet": sheet, "strokes": [s.as_wire() for s in strokes]}
    ).decode()


class ViewCollector:
    """The segments released to walls since the last view, per stroke, made coarse."""

    def __init__(self, budget: int = VIEW_POINTS) -> None:
        self.budget = budget
        self._pieces: dict[str, ViewStroke] = {}  # stroke key -> its piece this interval
        self._last: OrderedDict[str, list[float]] = OrderedDict()  # stroke -> last point
        self._shown: OrderedDict[str, int] = OrderedDict()  # device -> view it was last in
        self._views = 0  # views taken, empty or not
        self.built = 0  # view messages built (for the benchmark and tests)

    def __len__(self) -> int:
        return len(self._pieces)

    def add(self, segments: Iterable) -> None:
        """Segments (core.frames.AcceptedSegment) walls are being shown now. On the
        tick: they are only kept here; `take` does the work, once a second."""
        for segment in segments:
            if not segment.points:
                continue
            key = f"{segment.client}:{segment.stroke}"
            piece = self._pieces.get(key)
            if piece is None:
                piece = ViewStroke(segment.device, key, segment.color, segment.width)
                self._pieces[key] = piece
                joined = None if segment.is_start else self._last.get(key)
                if joined is not None:
                    piece.raw.append((joined,))  # the piece goes on from the last one
            piece.raw.append(segment.points)
            piece.raw_count += len(segment.points)

    def forget(self, device: str) -> None:
        """The curator removed a phone's strokes: what is collected of them never goes."""
        self._pieces = {k: p for k, p in self._pieces.items() if p.device != device}

    def forget_stroke(self, key: str) -> None:
        """A phone took this stroke back: what is collected of it never goes."""
        self._pieces.pop(key, None)
        self._last.pop(key, None)

    def clear(self) -> None:
        """A reset: the new sheet starts empty."""
        self._pieces.clear()
        self._last.clear()

    def _in_turn(self, pieces: list[ViewStroke], budget: int) -> list[ViewStroke]:
        """The pieces of the phones whose turn it is: all of them while each can have
        TURN_POINTS; else as many phones as can, those shown longest ago first."""
        self._views += 1
        devices = list(dict.fromkeys(piece.device for piece in pieces))
        room = max(1, budget // TURN_POINTS)
        if len(devices) > room:
            devices = sorted(devices, key=lambda device: self._shown.get(device, 0))[:room]
        for device in devices:
            self._shown[device] = self._views
            self._shown.move_to_end(device)
        while len(self._shown) > LAST_POINTS:
            self._shown.popitem(last=False)
        chosen = set(devices)
        return [piece for piece in pieces if piece.device in chosen]

    def take(self, sheet: int, budget: int | None = None) -> str | None:
        """The view message for what was collected since the last one, in `budget`
        points (None if nothing was); collecting starts again."""
        if not self._pieces:
            return None
        pieces, self._pieces = self._pieces, {}
        budget = budget or self.budget
        # Points on the grid cost a Python loop each: only a few times the budget's
        # worth are put there, each stroke in proportion to what it drew.
        total = sum(p.raw_count for p in pieces.values()) or 1
        for piece in pieces.values():
            piece.make_coarse(max(2, OVERSAMPLE * budget * piece.raw_count // total))
        turn = self._in_turn([p for p in pieces.values() if p.points], budget)
        strokes = fit_budget(turn, budget)
        sent = {id(stroke) for stroke in strokes}
        waiting = {id(piece) for piece in pieces.values()} - {id(piece) for piece in turn}
        for key, piece in pieces.items():
            if id(piece) in sent:  # the next piece joins what phones were sent
                self._last[key] = piece.points[-1]
                self._last.move_to_end(key)
            elif id(piece) in waiting:  # its next piece starts afresh: no line across
                self._last.pop(key, None)
        while len(self._last) > LAST_POINTS:
            self._last.popitem(last=False)
        if not strokes:
            return None  # every share was under two points: the next view bridges them
        self.built += 1
        return view_message(sheet=sheet, strokes=strokes)


def view_snapshot(strokes: list[dict], budget: int = SNAPSHOT_POINTS) -> list[dict]:
    """A sheet's strokes (core.sheets.sheet_strokes) as the coarse view."""
    coarse_strokes: list[ViewStroke] = []
    for stroke in strokes:
        piece = ViewStroke(stroke["device"], stroke["stroke"], stroke["color"], stroke["width"])
        for segment in stroke["segments"]:
            after = piece.points[-1] if piece.points else None
            piece.points.extend(coarse(segment["points"], after))
        if piece.points:
            coarse_strokes.append(piece)
    return [s.as_wire() for s in fit_budget(coarse_strokes, budget)]
