"""/healthz: does this process reach its database and its channel layer?"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

from installation.runtime import runtime_peek

CHECK_TIMEOUT = 2.0


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    finally:
        connection.close()


async def _channel_layer_answers() -> bool:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    message = await layer.receive(channel)
    return message.get("type") == "health.ping"


async def _check(probe) -> str:
    try:
        ok = await asyncio.wait_for(probe(), CHECK_TIMEOUT)
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok" if ok else "error"


async def healthz(request):
    database, layer = await asyncio.gather(
        _check(sync_to_async(_database_answers, thread_sensitive=False)),
        _check(_channel_layer_answers),
    )
    runtime = runtime_peek()
    watch = runtime.layer_watch if runtime is not None else None
    # A fresh channel answers even while this process's groups hear nothing (see
    # installation.layer_watch): the watch says whether its probes come back.
    if layer == "ok" and watch is not None and not await watch.hears(CHECK_TIMEOUT / 2):
        layer = "error: this process's subscription is lost (resubscribing)"
    body: dict = {"status": "ok", "database": database, "channel_layer": layer}
    problems = [f"{name}: {state}" for name, state in
                (("database", database), ("channel layer", layer)) if state != "ok"]  # fmt: skip
    if runtime is not None:
        stats = runtime.stats()
        body["process"] = asdict(stats)
        problems += stats.degraded
    if problems:
        # A PaaS check acts on the status code; the body says what is wrong.
        body["status"] = "unavailable" if database != "ok" or layer != "ok" else "degraded"
        body["problems"] = problems
    response = JsonResponse(body, status=503 if problems else 200)
    response["Cache-Control"] = "no-store"
    return response
