import base64
import hashlib
import io
from datetime import timedelta
from functools import cache

import orjson
import segno
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.exhibit_cache import exhibit_for_page
from core.sheets import sheet_current, sheet_snapshot, sheet_strokes
from installation.join import join_label, join_url
from projector.view import SNAPSHOT_SEGMENTS, view_snapshot
from projector.view_cache import view_cache_get

# The CDN copy must be byte-for-byte the vendored one (npm's lib/p5.min.js).
P5_VERSION = "2.3.4"
P5_CDN = f"https://cdn.jsdelivr.net/npm/p5@{P5_VERSION}/lib/p5.min.js"
P5_LOCAL = "vendor/p5/p5.min.js"
SHEET_RETRY_SECONDS = 2  # a wall asks again this soon while the database is away
P5_CDN_TIMEOUT_MS = 4000  # a venue whose DNS hangs must not wait long for the fallback


@cache
def p5_integrity() -> str:
    """Subresource integrity of the vendored p5.js, which the CDN file must match."""
    path = settings.BASE_DIR / "static" / P5_LOCAL
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def wifi_for_page(exhibit) -> dict | None:
    """The venue's Wi-Fi for the wall's and the poster's template: its name and its
    `WIFI:` QR code as an inline SVG (no URL of its own to fetch), or None."""
    data = exhibit.wifi_data
    if not data:
        return None
    qr = segno.make(data, error="m")
    uri = qr.svg_data_uri(border=4, omitsize=True, dark="#000000", light="#ffffff")
    return {"name": exhibit.wifi_name, "password": exhibit.wifi_password, "qr": uri}


@require_GET
def wall(request):
    """The projector page."""
    url = join_url(request)
    snapshot = exhibit_for_page()
    exhibit = snapshot.for_wall()
    config = {
        "exhibit": exhibit,
        "join_url": url,
        "join_label": join_label(url),
        "ws_path": "/ws/wall/",
        "sheet_url": reverse("sheet"),
        "replay_url": "/projector/sheet/{id}/",  # the curator side serves it
        "p5": {
            "cdn": P5_CDN,
            "local": static(P5_LOCAL),
            "integrity": p5_integrity(),
            "timeout_ms": P5_CDN_TIMEOUT_MS,
        },
    }
    context = {
        "config": config,
        "exhibit": exhibit,
        "join_url": url,
        "join_label": config["join_label"],
        "wifi": wifi_for_page(snapshot),
    }
    response = render(request, "projector/wall.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _is_staff(request) -> bool:
    try:
        return bool(request.user.is_staff)
    except DatabaseError:  # the session needs the database; a wall has none anyway
        return False


@require_GET
def sheet(request):
    """The current sheet's strokes, for a wall that (re)connects."""
    origins = [o for o in request.GET.get("origins", "").split(",") if o][:32]
    exhibit = exhibit_for_page()
    # The museum-safe delay is kept here too: a wall that (re)loads sees only what the
    # delay has let through. Staff (the console) see everything, what waits marked.
    cut = timezone.now() - timedelta(seconds=exhibit.delay_seconds)
    staff = exhibit.delay_seconds > 0 and _is_staff(request)
    before = cut if exhibit.delay_seconds and not staff else None
    try:
        body = sheet_snapshot(
            sheet=sheet_current(),
            origins=origins,
            before=before,
            pending_after=cut if staff else None,
        )
    except DatabaseError:
        return _storage_unavailable()
    body["exhibit"] = exhibit.for_wall()
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _storage_unavailable() -> HttpResponse:
    # The wall keeps its picture, the phone its view, and both ask again soon
    # (docs/protocol.md, "Loading the sheet" and "The view of the wall").
    response = HttpResponse(
        orjson.dumps({"error": "storage_unavailable", "retry_after": SHEET_RETRY_SECONDS}),
        content_type="application/json",
        status=503,
    )
    response["Retry-After"] = str(SHEET_RETRY_SECONDS)
    return response


@require_GET
def view(request):
    """The current sheet, coarse, for a phone's faint view of the wall: fetched once
    after its welcome; `view` messages then add what walls are shown. Like the walls'
    sheet it keeps the museum-safe delay (nobody's phone is staff here)."""
    try:
        body = view_cache_get(_view_body)
    except DatabaseError:
        return _storage_unavailable()
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _view_body() -> bytes:
    exhibit = exhibit_for_page()
    delay = exhibit.delay_seconds
    before = timezone.now() - timedelta(seconds=delay) if delay else None
    sheet = sheet_current()
    if not exhibit.phone_view:  # the curator switched the view off
        return orjson.dumps({"sheet": sheet.pk, "strokes": []})
    strokes = sheet_strokes(sheet=sheet, before=before, latest=SNAPSHOT_SEGMENTS)
    return orjson.dumps({"sheet": sheet.pk, "strokes": view_snapshot(strokes)})


@require_GET
def join_qr(request):
    """The join address as an SVG QR code, drawn on the server."""
    qr = segno.make(join_url(request), error="m")
    buffer = io.BytesIO()
    # A standalone file (xmlns) with a viewBox, so it scales to any size; the
    # four-module quiet zone the QR standard asks for, so phones find it from afar.
    qr.save(
        buffer,
        kind="svg",
        border=4,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        dark="#000000",
        light="#ffffff",
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def poster(request):
    """A printable A4/Letter poster with the QR code and how to join."""
    url = join_url(request)
    exhibit = exhibit_for_page()
    context = {
        "join_url": url,
        "join_label": join_label(url),
        "title": exhibit.title,
        "invitation": exhibit.invitation,
        "wifi": wifi_for_page(exhibit),
    }
    return render(request, "projector/poster.html", context)
