"""The device cookie: a signed, random id the phone page sets, so limits and
moderation follow a phone rather than the gallery's shared IP address."""

from __future__ import annotations

import secrets
from http.cookies import CookieError, SimpleCookie

from django.conf import settings
from django.core import signing

SALT = "device"
MAX_AGE = 365 * 24 * 3600


def device_new() -> str:
    return "d_" + secrets.token_urlsafe(12)


def device_fallback(scope: dict) -> str:
    """For a client without the cookie (never the phone page, which sets it): its
    address, so reconnecting without a cookie cannot refill ink or reset a limit;
    per connection when the address is unknown."""
    client = scope.get("client")
    if client and client[0]:
        return "ip_" + str(client[0])[:48]
    return "c_" + secrets.token_urlsafe(12)


def device_sign(device: str) -> str:
    return signing.get_cookie_signer(salt=settings.DEVICE_COOKIE + SALT).sign(device)


def device_unsign(value: str) -> str | None:
    try:
        device = signing.get_cookie_signer(salt=settings.DEVICE_COOKIE + SALT).unsign(
            value, max_age=MAX_AGE
        )
    except signing.BadSignature:
        return None
    return device if device.startswith("d_") and len(device) <= 64 else None


def device_from_scope(scope: dict) -> str | None:
    """The signed device id in a WebSocket handshake's cookies, if valid."""
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                cookies = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            morsel = cookies.get(settings.DEVICE_COOKIE)
            return device_unsign(morsel.value) if morsel else None
    return None
