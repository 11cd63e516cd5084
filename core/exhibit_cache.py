"""The exhibit for a page, even while the database is away: the last snapshot this
process read (the runtime refreshes it every few seconds). A newcomer can still open
the phone page and a reloading wall its page during an outage."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from core.exhibit import ExhibitSnapshot, exhibit_snapshot_load

log = logging.getLogger(__name__)

_last: ExhibitSnapshot | None = None


def exhibit_remember(snapshot: ExhibitSnapshot) -> None:
    """Keep a snapshot read elsewhere (the runtime's reload) for pages to fall back on."""
    global _last
    _last = snapshot


def exhibit_for_page() -> ExhibitSnapshot:
    """The exhibit from the database, or the last one read while it refuses."""
    try:
        snapshot = exhibit_snapshot_load()
    except DatabaseError as error:
        if _last is None:
            raise
        log.warning("the database is away (%r); serving the last exhibit read", error)
        return _last
    exhibit_remember(snapshot)
    return snapshot
