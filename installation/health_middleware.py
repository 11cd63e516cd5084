"""Answer /healthz before anything asks for the Host header.

Platform health checks (fly.io's, a load balancer's) address the machine by its
private IP, which is not in ALLOWED_HOSTS: CommonMiddleware would answer 400 and the
platform would take a working machine out of service. The check also comes over
plain http inside the platform's network, so it must not be redirected to https.
"""

from __future__ import annotations

from asgiref.sync import markcoroutinefunction

from installation.health import healthz

HEALTH_PATH = "/healthz"


class HealthBeforeHostCheck:
    """Async-only, first in MIDDLEWARE: /healthz never reaches host validation."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        """Runs for every HTTP request, before SecurityMiddleware."""
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return await healthz(request)
        return await self.get_response(request)
