"""Where the curator's actions go back to."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def admin_next(request, default: str) -> str:
    """Where to go after a curator action: back to an admin page, never elsewhere."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    if safe and target.startswith(reverse("admin:index")):
        return target
    return reverse(default)
