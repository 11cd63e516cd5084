"""The phones' view of the sheet so far (GET /projector/view/), cached per process.

Every phone fetches it once after its welcome: a crowd arriving together must not
read the whole sheet once each, so one body is built at most every CACHE_SECONDS
(and again at once after the curator removed strokes or reset the wall).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CACHE_SECONDS = 1.0

_lock = threading.Lock()
_cached: tuple[float, bytes] | None = None  # (built at, monotonic; the body)


def view_cache_get(build: Callable[[], bytes]) -> bytes:
    """The cached body, or a new one from `build` when it is older than CACHE_SECONDS.
    Requests that come while one builds wait for it rather than build their own."""
    global _cached
    with _lock:
        now = time.monotonic()
        if _cached is not None and now - _cached[0] < CACHE_SECONDS:
            return _cached[1]
        body = build()
        _cached = (now, body)
        return body


def view_cache_forget() -> None:
    """Strokes were removed, or the wall reset: the next request builds anew."""
    global _cached
    with _lock:
        _cached = None
