"""A bare relay: the `websockets` library and nothing else, relaying each phone
message to every wall. The practical ceiling for Python on this machine.

`python -m bench.bare_relay --port 8765` (the benchmark starts it itself).
"""

from __future__ import annotations

import argparse
import asyncio
from http import HTTPStatus

import orjson
from websockets.asyncio.server import broadcast, serve

walls: set = set()
ALLOWED_HOSTS = ("127.0.0.1", "localhost")


def check_origin(connection, request):
    """Refuse a handshake without an allowed Origin, as the installation does."""
    origin = request.headers.get("Origin", "")
    host = origin.split("://", 1)[-1].split(":", 1)[0]
    if host not in ALLOWED_HOSTS:
        return connection.respond(HTTPStatus.FORBIDDEN, "origin not allowed\n")
    return None


async def handler(ws) -> None:
    path = ws.request.path
    if path == "/ws/wall/":
        walls.add(ws)
        try:
            await ws.wait_closed()
        finally:
            walls.discard(ws)
        return
    if path != "/ws/draw/":
        await ws.close(1008)
        return
    client = None
    async for text in ws:
        message = orjson.loads(text)
        if message.get("type") == "hello":
            client = message.get("client")
            await ws.send(orjson.dumps({"type": "welcome", "client": client}).decode())
            continue
        seq = message.get("seq")
        segment = {"type": "segment", "key": f"{client}:{seq}", "points": message["points"]}
        broadcast(walls, orjson.dumps(segment).decode())
        await ws.send(orjson.dumps({"type": "ack", "seq": seq}).decode())


async def main(host: str, port: int) -> None:
    async with serve(
        handler,
        host,
        port,
        process_request=check_origin,
        max_size=16384,
        compression=None,
        ping_interval=20,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(main(args.host, args.port))
    except ImportError:  # pragma: no cover
        asyncio.run(main(args.host, args.port))
