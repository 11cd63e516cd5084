"""ASGI entry point: HTTP to Django, WebSockets to the phone and wall consumers,
lifespan to the process runtime."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installation.settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from controller.consumers import ControllerConsumer  # noqa: E402
from installation.lifespan import lifespan_app  # noqa: E402
from projector.consumers import ProjectorConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/draw/", ControllerConsumer.as_asgi()),
    path("ws/wall/", ProjectorConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
        "lifespan": lifespan_app,
    }
)
