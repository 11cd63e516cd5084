"""The seed design: the classic Channels drawing consumer this product grew out of.

Each phone message becomes one group_send to the group the walls join, from a
synchronous JsonWebsocketConsumer, as the Channels tutorial does it. It lives only
in the benchmark, served by uvicorn with the Procfile's flags (bench.systems).
"""

import os

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.seed_settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

WALLS = "walls"


class SeedPhoneConsumer(JsonWebsocketConsumer):
    def connect(self):
        """Runs at the handshake."""
        self.client = None
        self.accept()

    def receive_json(self, content, **kwargs):
        """Runs for every phone message: one group_send each, then an ack."""
        if content.get("type") == "hello":
            self.client = content.get("client")
            self.send_json({"type": "welcome", "client": self.client, "acked": 0})
            return
        seq = content.get("seq")
        async_to_sync(self.channel_layer.group_send)(
            WALLS,
            {"type": "wall.segment", "key": f"{self.client}:{seq}", "points": content["points"]},
        )
        self.send_json({"type": "ack", "seq": seq})


class SeedWallConsumer(JsonWebsocketConsumer):
    def connect(self):
        """Runs at the handshake: join the walls' group."""
        async_to_sync(self.channel_layer.group_add)(WALLS, self.channel_name)
        self.accept()

    def disconnect(self, code):
        """Runs when the wall goes away."""
        async_to_sync(self.channel_layer.group_discard)(WALLS, self.channel_name)

    def wall_segment(self, event):
        """Runs for each phone message, in every wall."""
        self.send_json({"type": "segment", "key": event["key"], "points": event["points"]})


application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            URLRouter(
                [
                    path("ws/draw/", SeedPhoneConsumer.as_asgi()),
                    path("ws/wall/", SeedWallConsumer.as_asgi()),
                ]
            )
        ),
    }
)
