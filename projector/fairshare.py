"""A fair share of the wall: split a per-tick point budget among the strokes
drawing now (max-min fair), and thin a stroke to its share without losing its shape."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar


class Piece(Protocol):
    """What a budget is shared over: some of one phone's points (a segment, a view's stroke)."""

    @property
    def device(self) -> str: ...

    @property
    def points(self) -> Sequence: ...


PieceT = TypeVar("PieceT", bound=Piece)
T = TypeVar("T")


def allocate(demands: Sequence[int], budget: int) -> list[int]:
    """Max-min fair shares: nobody gets more than they ask, leftovers go to the rest.

    A stroke that asks for less than an equal share keeps all of it; what it does
    not use is shared equally among the bigger ones. The result never exceeds
    `budget` in total, nor any demand.
    """
    shares = [0] * len(demands)
    if budget <= 0 or not demands:
        return shares
    if sum(demands) <= budget:
        return list(demands)
    order = sorted(range(len(demands)), key=lambda i: demands[i])
    remaining = budget
    for position, index in enumerate(order):
        left = len(order) - position
        equal = remaining // left
        share = min(demands[index], equal)
        shares[index] = share
        remaining -= share
    # Integer division leaves up to n-1 points unused: hand them to the largest asks.
    for index in reversed(order):
        if remaining <= 0:
            break
        if shares[index] < demands[index]:
            shares[index] += 1
            remaining -= 1
    return shares


def fit_to_budget(
    pieces: list[PieceT],
    budget: int,
    cut: Callable[[PieceT, int], PieceT],
    min_points: int = 0,
) -> list[PieceT]:
    """The pieces in `budget` points in all, max-min fair per phone, in their order.

    A phone over its share has each of its pieces cut to its part of the share:
    `cut(piece, keep)` returns the piece with `keep` of its points (at least one,
    fewer than it has). A piece whose part comes to fewer than `min_points` (or, if
    it has fewer, than all its points) is left out instead. All fit: `pieces` itself.
    """
    # Shares are per phone: a phone draws one stroke at a time, and keying by device
    # means opening many strokes at once cannot buy a flooder a bigger share.
    demands: dict[str, int] = {}
    for piece in pieces:
        demands[piece.device] = demands.get(piece.device, 0) + len(piece.points)
    if sum(demands.values()) <= budget:
        return pieces
    shares = dict(zip(demands, allocate(list(demands.values()), budget), strict=True))
    fitted: list[PieceT] = []
    for piece in pieces:
        demand, share = demands[piece.device], shares[piece.device]
        if share >= demand:
            fitted.append(piece)
            continue
        count = len(piece.points)
        keep = count * share // demand
        if keep < min(min_points, count):
            continue
        fitted.append(cut(piece, max(1, keep)) if keep < count else piece)
    return fitted


def evenly(points: Sequence[T], count: int) -> list[T]:
    """`count` of the points, evenly spaced, the last always among them: a cheap first
    cut of a long polyline before the costly steps (thin is quadratic, the view's grid
    a Python loop a point)."""
    if len(points) <= count:
        return list(points)
    if count <= 0:
        return []
    step = len(points) / count
    return [points[int(i * step)] for i in range(count - 1)] + [points[-1]]


def thin(points: Sequence[Sequence[float]], keep: int) -> list[Sequence[float]]:
    """Keep `keep` points of a polyline, dropping first those that add least to its shape.

    Visvalingam-Whyatt: repeatedly remove the interior point whose triangle with its
    neighbours has the smallest area. The last point always stays, so the stroke
    still reaches where the finger is; the first stays when two or more are kept.
    """
    count = len(points)
    if keep >= count:
        return list(points)
    if keep <= 0:
        return []
    if keep == 1:
        return [points[-1]]
    alive = list(range(count))
    while len(alive) > keep:
        if len(alive) <= 2:
            break
        smallest, smallest_at = None, 1
        for i in range(1, len(alive) - 1):
            a, b, c = points[alive[i - 1]], points[alive[i]], points[alive[i + 1]]
            area = abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]))
            if smallest is None or area < smallest:
                smallest, smallest_at = area, i
        del alive[smallest_at]
    return [points[i] for i in alive]


def process_budgets(loads: dict[str, tuple[int, int]], budget: int) -> dict[str, int]:
    """The wall's per-tick budget split among server processes, max-min fair per phone.

    `loads` maps each process (origin) to (phones drawing there, points a tick they
    asked for lately). Each process counts as that many phones asking equally, so a
    phone on a busy process gets the share a phone on a quiet one gets, and what a
    quiet process does not use goes to the busy ones. Together the processes never
    exceed `budget`, however many there are.
    """
    phones: list[int] = []
    owners: list[str] = []
    for origin, (drawing, demand) in loads.items():
        if demand <= 0:
            continue
        count = max(1, drawing)
        each, extra = divmod(demand, count)
        for i in range(count):
            phones.append(each + (1 if i < extra else 0))
            owners.append(origin)
    shares = dict.fromkeys(loads, 0)
    for origin, share in zip(owners, allocate(phones, budget), strict=True):
        shares[origin] += share
    return shares
