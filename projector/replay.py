"""Any sheet, archived or current, as a timelapse: `GET /projector/sheet/<id>/`.

The body has the shape of `/projector/sheet/` and every segment also carries `t`,
milliseconds after the sheet's first stored segment, so a wall in replay mode
(`/projector/?replay=<id>&speed=N`) can play the strokes back in time.
"""

from __future__ import annotations

import orjson
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from core.exhibit import exhibit_snapshot_load
from core.models import Sheet
from core.sheets import sheet_strokes


def sheet_replay(*, sheet: Sheet) -> dict:
    """The sheet's visible strokes in drawing order, segments with their `t`."""
    strokes = sheet_strokes(sheet=sheet, with_time=True)
    times = [segment["t"] for stroke in strokes for segment in stroke["segments"]]
    started = min(times, default=0)
    for stroke in strokes:
        for segment in stroke["segments"]:
            segment["t"] -= started
    return {
        "sheet": sheet.pk,
        "stored": {},
        "started_at": started,
        "duration": max(times, default=started) - started,
        "current": sheet.is_current,
        "strokes": strokes,
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
