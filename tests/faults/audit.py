"""The loss audit every fault test ends with, counted the same way everywhere:

- **lost**: a (client, seq) the server acknowledged as drawn (a cumulative ack, an
  error or drop naming a later seq, or a `welcome.acked` covering it) whose message
  carried points, and that is not in the database;
- **gaps**: a stroke whose stored segments are not exactly the seqs the phone sent for
  it with points (a dropped or refused message inside a stroke is a gap too), or that
  are stored under another colour or width than the stroke's (its header after a
  reconnect must continue the same stroke);
- **phantoms**: stored segments the phone was told were not drawn, or whose points
  differ from what was sent (the wall's budget thins only the walls' copy of a crowded
  tick: an acknowledged segment is stored with every point);
- **unsettled**: phones that still had messages not sent or not acknowledged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import psycopg

from tests.faults.phone import SimPhone


@dataclass
class Audit:
    acknowledged: int = 0  # acknowledged-as-drawn segments with points
    stored: int = 0  # of this run's clients, in the database
    lost: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    phantoms: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    by_welcome: int = 0  # acknowledged only by a welcome's `acked`
    resends: int = 0

    def ok(self) -> bool:
        return not (self.lost or self.gaps or self.phantoms or self.unsettled)

    def summary(self) -> str:
        def few(items: list[str]) -> str:
            return ", ".join(items[:8]) + (" …" if len(items) > 8 else "")

        return (
            f"acknowledged {self.acknowledged}, stored {self.stored}, "
            f"lost {len(self.lost)} [{few(self.lost)}], gaps {len(self.gaps)} [{few(self.gaps)}], "
            f"phantoms {len(self.phantoms)} [{few(self.phantoms)}], "
            f"unsettled {len(self.unsettled)} [{few(self.unsettled)}], "
            f"dropped {dict(self.dropped)}, refused {dict(self.refused)}, "
            f"acked by welcome {self.by_welcome}, resends {self.resends}"
        )


def stored_rows(database_url: str, clients: list[str]) -> dict[tuple[str, int], tuple]:
    """(client, seq) -> (stroke, color, width, points) for these clients' segments."""
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT client, seq, stroke, color, width, points FROM projector_segment "
            "WHERE client = ANY(%s)",
            (clients,),
        ).fetchall()
    return {(c, int(s)): (int(st), color, float(w), pts) for c, s, st, color, w, pts in rows}


def audit(phones: list[SimPhone], database_url: str) -> Audit:
    result = Audit()
    rows = stored_rows(database_url, [p.client for p in phones])
    result.stored = len(rows)
    for phone in phones:
        c = phone.client
        if not phone.settled():
            result.unsettled.append(
                f"{c}: {len(phone.queue)} waiting, acked {phone.acked} of {phone.seq}"
            )
        for seq, sent in phone.sent.items():
            result.resends += sent.sends - 1
            row = rows.get((c, seq))
            if sent.resolved is None:
                continue  # never acknowledged: the phone still holds it (unsettled)
            if sent.resolved == "drawn":
                if sent.points:
                    result.acknowledged += 1
                    if sent.resolved_by == "welcome":
                        result.by_welcome += 1
                    if row is None:
                        result.lost.append(f"{c}:{seq}")
                if row is not None and (row[0] != sent.stroke or row[3] != sent.points):
                    result.phantoms.append(
                        f"{c}:{seq} stored as stroke {row[0]} with {len(row[3])} points "
                        f"{row[3][:2]}…, sent as stroke {sent.stroke} with "
                        f"{len(sent.points)} points {sent.points[:2]}…"
                    )
            else:
                kind, _, reason = sent.resolved.partition(":")
                (result.dropped if kind == "dropped" else result.refused)[reason] += 1
                if row is not None and row[3]:
                    result.phantoms.append(f"{c}:{seq} stored though {sent.resolved}")
        for stroke, info in phone.strokes.items():
            with_points = [s for s in info.seqs if phone.sent[s].points]
            stored = sorted(s for s in with_points if (c, s) in rows)
            if stored != with_points and all(phone.sent[s].resolved for s in with_points):
                missing = sorted(set(with_points) - set(stored))
                why = {phone.sent[s].resolved for s in missing}
                result.gaps.append(f"{c}:{stroke} misses seqs {missing} ({', '.join(why)})")
            styles = {(rows[(c, s)][1].lower(), rows[(c, s)][2]) for s in stored}
            if styles - {(info.color.lower(), info.width)}:
                result.gaps.append(f"{c}:{stroke} stored as {styles}, drawn as {info.color}")
    return result
