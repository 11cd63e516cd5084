from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from controller.devices import MAX_AGE, device_new, device_sign, device_unsign
from core.exhibit_cache import exhibit_for_page


def phone_boot() -> dict:
    """What the pad needs before its socket answers: the canvas, tools and limits
    (the welcome repeats them, from the same snapshot), so a visitor can draw at once."""
    exhibit = exhibit_for_page()
    return {"exhibit": exhibit.for_phone(), "limits": exhibit.limits_for_phone()}


@require_GET
def phone(request):
    """The drawing pad the QR code opens; it gives the phone its device cookie."""
    signed = request.COOKIES.get(settings.DEVICE_COOKIE)
    device = device_unsign(signed) if signed else None
    response = render(request, "controller/phone.html", {"boot": phone_boot()})
    if device is None:
        response.set_cookie(
            settings.DEVICE_COOKIE,
            device_sign(device_new()),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    response["Cache-Control"] = "no-store"
    return response
