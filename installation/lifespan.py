"""ASGI lifespan: start this process's runtime with the server, and flush frames and
strokes when it stops (uvicorn runs shutdown after SIGTERM/SIGINT)."""

from __future__ import annotations

import logging

from installation.runtime import runtime_get, runtime_stop

log = logging.getLogger(__name__)


async def lifespan_app(scope: dict, receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await runtime_get()
            except Exception as error:  # the process can still serve; report it
                log.exception("runtime failed to start")
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await runtime_stop()
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return
