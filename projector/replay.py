"""Any sheet, archived or current, as a timelapse: `GET /projector/sheet/<id>/`.

The body has the shape of `/projector/sheet/` and every segment also carries `t`,
milliseconds after the sheet's first stored segment, so a wall in replay mode
(`/projector/?replay=<id>&speed=N`) can play the strokes back in time.
"""

from __future__ import annotations

import orjson
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from projector.exhibit import exhibit_snapshot_load
from projector.models import Segment, Sheet


def sheet_replay(*, sheet: Sheet) -> dict:
    """The sheet's visible strokes in drawing order, segments with their `t`."""
    strokes: dict[str, dict] = {}
    first_ms: int | None = None
    last_ms = 0
    rows = (
        Segment.objects.filter(sheet=sheet, removed=False)
        .order_by("id")
        .values_list(
            "client", "seq", "stroke", "device", "color", "width", "points", "is_end", "created_at"
        )
    )
    for client, seq, stroke, device, color, width, points, is_end, created in rows.iterator(2000):
        at = int(created.timestamp() * 1000)
        first_ms = at if first_ms is None else min(first_ms, at)
        last_ms = max(last_ms, at)
        key = f"{client}:{stroke}"
        entry = strokes.get(key)
        if entry is None:
            entry = strokes[key] = {
                "stroke": key,
                "device": device,
                "color": color,
                "width": width,
                "segments": [],
            }
        entry["segments"].append(
            {"key": f"{client}:{seq}", "points": points, "end": is_end, "t": at}
        )
    started = first_ms or 0
    for entry in strokes.values():
        for segment in entry["segments"]:
            segment["t"] -= started
    return {
        "sheet": sheet.pk,
        "stored": {},
        "started_at": started,
        "duration": max(0, last_ms - started) if first_ms is not None else 0,
        "current": sheet.is_current,
        "strokes": list(strokes.values()),
    }


@require_GET
def replay_sheet(request, sheet_id: int):
    """One sheet with timestamps, for the wall's replay mode."""
    sheet = Sheet.objects.filter(pk=sheet_id).first()
    if sheet is None:
        raise Http404("no such sheet")
    body = sheet_replay(sheet=sheet)
    body["exhibit"] = exhibit_snapshot_load().for_wall()
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    response["Cache-Control"] = "no-store" if sheet.is_current else "max-age=60"
    return response
