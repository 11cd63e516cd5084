"""A bare relay: the `websockets` library and nothing else, relaying each phone
message to every wall. The practical ceiling for Python on this machine.

Acks are batched as the installation batches them (docs/protocol.md, "Durability"):
one cumulative `{"type": "ack", "seq": N}` per phone per 100 ms at most, for the
highest seq received, written without waiting (like the installation's per-client
outlet, a phone that stops reading holds up no one). What the relay does not do is
what makes it the strongest simple reference: it validates nothing, keeps no ink,
mixes nothing, stores nothing, and forwards each message to the walls the moment it
arrives (one wall send a message, so its latency is as low as Python's gets). Its
acks mean "received", not "stored": the ack delay it shows is pacing alone.

`python -m bench.bare_relay --port 8765` (the benchmark starts it itself).
"""

from __future__ import annotations

import argparse
import asyncio
from http import HTTPStatus

import orjson
from websockets.asyncio.server import broadcast, serve

ACK_SECONDS = 0.1  # the installation's installation.acks.ACK_SECONDS

walls: set = set()
ALLOWED_HOSTS = ("127.0.0.1", "localhost")


class Phone:
    """A phone's ack state: the highest seq received and the highest acknowledged."""

    __slots__ = ("ws", "received", "acked")

    def __init__(self, ws) -> None:
        self.ws = ws
        self.received = 0
        self.acked = 0


due: set[Phone] = set()  # phones owed an ack at the next pacer tick


def check_origin(connection, request):
    """Refuse a handshake without an allowed Origin, as the installation does."""
    origin = request.headers.get("Origin", "")
    host = origin.split("://", 1)[-1].split(":", 1)[0]
    if host not in ALLOWED_HOSTS:
        return connection.respond(HTTPStatus.FORBIDDEN, "origin not allowed\n")
    return None


async def ack_pacer() -> None:
    """Every ACK_SECONDS, one cumulative ack to each phone that received something."""
    global due
    while True:
        await asyncio.sleep(ACK_SECONDS)
        batch, due = due, set()
        for phone in batch:
            if phone.received > phone.acked:
                phone.acked = phone.received
                # broadcast() writes without waiting on the socket (no backpressure).
                broadcast((phone.ws,), f'{{"type":"ack","seq":{phone.acked}}}')


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
    phone = Phone(ws)
    try:
        async for text in ws:
            message = orjson.loads(text)
            if message.get("type") == "hello":
                client = message.get("client")
                welcome = {"type": "welcome", "client": client, "acked": 0}
                await ws.send(orjson.dumps(welcome).decode())
                continue
            seq = message.get("seq")
            segment = {"type": "segment", "key": f"{client}:{seq}", "points": message["points"]}
            broadcast(walls, orjson.dumps(segment).decode())
            phone.received = seq
            due.add(phone)
    finally:
        due.discard(phone)


async def main(host: str, port: int) -> None:
    pacer = asyncio.create_task(ack_pacer())
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
    pacer.cancel()


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
