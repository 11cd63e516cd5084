"""The control listener goes on hearing the control group after it re-joins it (it
re-joins before channels-redis's group expiry), against a real redis-server."""

from __future__ import annotations

import asyncio

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from core.control import CONTROL_GROUP
from installation import control
from installation.control import ControlListener

pytestmark = [pytest.mark.timeout(30)]


async def test_the_control_group_is_heard_after_a_rejoin(redis_server, monkeypatch):
    monkeypatch.setattr(control, "GROUP_REJOIN_SECONDS", 0.3)
    layer = RedisPubSubChannelLayer(hosts=[redis_server.url])
    sender = RedisPubSubChannelLayer(hosts=[redis_server.url])
    heard: list[dict] = []

    async def on_message(message: dict) -> None:
        heard.append(message)

    listener = ControlListener(layer, on_message)
    listening = asyncio.create_task(listener.run())
    try:
        await asyncio.sleep(1.2)  # several re-joins
        for n in range(20):
            await sender.group_send(CONTROL_GROUP, {"type": "exhibit.changed", "n": n})
            await asyncio.sleep(0.05)
            if heard:
                break
        assert heard, "the control group is heard after re-joining it"
        assert listener.ok
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await layer.flush()
        await sender.flush()
