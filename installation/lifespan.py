"""ASGI lifespan: start this process's runtime with the server, and flush frames and
strokes when it stops (uvicorn runs shutdown after SIGTERM/SIGINT)."""

from __future__ import annotations

import gc
import logging

from installation.runtime import runtime_get, runtime_stop

log = logging.getLogger(__name__)

# The collector's thresholds: the second raised from 10 to 100. Every await leaves a
# future alive for a few ms to tens of ms, and a young collection every 10 of the
# youngest promoted thousands of them a second to the oldest generation, which then
# ran a full collection every few seconds (50-175 ms, the event loop stopped). At 100
# most die first. The third, also 10 to 100: a full collection walks every connection's
# objects (160,000 at 1,200 phones: 55-95 ms); now one comes after 100 second-generation
# collections instead of 10, a few minutes apart while a crowd draws instead of every
# 10-20 s. docs/decisions.md, "Frames wait for their commit as plain tuples".
GC_THRESHOLDS = (700, 100, 100)


def freeze_startup_objects() -> None:
    """Keep the cyclic garbage collector off what was loaded at startup.

    Django, the URL conf and the templates are hundreds of thousands of objects that
    live as long as the process; every full collection walked them all, a pause of
    tens of milliseconds on the event loop (it showed in the p99 latency).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


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
            freeze_startup_objects()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await runtime_stop()
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return
