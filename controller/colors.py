"""A visitor's own colour: one from the exhibit's palette that nobody drawing on this
process uses now, where the palette allows (the runtime's `color_for` gathers them)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence


def color_pick(palette: Sequence[str], taken: Iterable[str], device: str = "") -> str | None:
    """The first free colour, starting from a place in the palette that depends on the
    device (so one phone tends to get the same colour back); if every colour is in
    use, the least used one. None for an empty palette (any colour is allowed)."""
    if not palette:
        return None
    palette = [c.lower() for c in palette]
    used = Counter(c.lower() for c in taken if isinstance(c, str))
    start = int(hashlib.sha1(device.encode()).hexdigest()[:8], 16) % len(palette)
    ordered = palette[start:] + palette[:start]
    return min(ordered, key=lambda color: used[color])  # min keeps the first of equals
