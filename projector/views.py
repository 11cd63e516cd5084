import orjson
import segno
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from installation.join import join_label, join_url
from projector.exhibit import exhibit_snapshot_load
from projector.sheets import sheet_current, sheet_snapshot


@require_GET
def wall(request):
    """The projector page."""
    url = join_url(request)
    exhibit = exhibit_snapshot_load()
    return render(
        request,
        "projector/wall.html",
        {"join_url": url, "join_label": join_label(url), "exhibit": exhibit.for_wall()},
    )


@require_GET
def sheet(request):
    """The current sheet's strokes, for a wall that (re)connects."""
    origins = [o for o in request.GET.get("origins", "").split(",") if o][:32]
    body = sheet_snapshot(sheet=sheet_current(), origins=origins)
    body["exhibit"] = exhibit_snapshot_load().for_wall()
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def join_qr(request):
    """The join address as an SVG QR code, drawn on the server."""
    qr = segno.make(join_url(request), error="m")
    svg = qr.svg_inline(scale=10, dark="#000000", light="#ffffff", border=2)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def poster(request):
    """A printable A4/Letter poster with the QR code and how to join."""
    url = join_url(request)
    context = {"join_url": url, "join_label": join_label(url)}
    return render(request, "projector/poster.html", context)
