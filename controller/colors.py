"""A visitor's own colour: one from the exhibit's palette that nobody drawing on this
process uses now, where the palette allows."""

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


def colors_in_use(runtime, excluding: object = None) -> list[str]:
    """The colours of the phones connected to this process: those of the strokes they
    are drawing now, else the colour they were welcomed with."""
    colors: list[str] = []
    for phones in list(runtime.phones.values()):
        for phone in list(phones):
            session = getattr(phone, "session", None)
            if session is None or session is excluding:
                continue
            client = getattr(session, "client", None)
            strokes = runtime.strokes.get(client) if client else None
            if strokes:
                colors.extend(style[0] for style in strokes.values())
            elif getattr(session, "color", None):
                colors.append(session.color)
    return colors
