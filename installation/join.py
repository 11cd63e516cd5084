"""The join address: what the QR code encodes and the wall prints."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def join_url(request: HttpRequest) -> str:
    """PUBLIC_URL when set, else the address this page was opened at."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + "/"
    return request.build_absolute_uri("/")


def join_label(url: str) -> str:
    """The address as people type it: no scheme, no trailing slash."""
    return url.split("://", 1)[-1].rstrip("/")
