"""Forwarded headers are believed only from the configured proxy (FORWARDED_ALLOW_IPS).

A cookieless client is keyed by its address (`ip_<address>`, docs/protocol.md): if
any client could set that address with X-Forwarded-For, it could take another
client's limits or escape its own. The servers here are started from the Procfile.
"""

import json

import websockets

SPOOFED = "6.6.6.6"


async def welcome_device(server, headers: dict[str, str]) -> str:
    """The device the server gives a phone with these handshake headers."""
    async with websockets.connect(
        server.ws + "/ws/draw/", additional_headers={"Origin": server.origin, **headers}
    ) as ws:
        await ws.send(json.dumps({"type": "hello", "client": "forwarded-1", "last_seq": 0}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "welcome":
                return message["device"]


async def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(start_server):
    # The test connects from 127.0.0.1; trust only an address that is not ours.
    server = start_server(env={"FORWARDED_ALLOW_IPS": "192.0.2.1"})
    spoofing = {"X-Forwarded-For": SPOOFED}
    assert await welcome_device(server, spoofing) == "ip_127.0.0.1"
    # A forged device cookie falls back to the same address, not to a fresh id.
    forged = {**spoofing, "Cookie": "wall_device=d_forged:notasignature"}
    assert await welcome_device(server, forged) == "ip_127.0.0.1"


async def test_the_configured_proxy_is_believed(start_server):
    # The default (FORWARDED_ALLOW_IPS unset) trusts loopback: a proxy on the same host.
    server = start_server(env={"FORWARDED_ALLOW_IPS": "127.0.0.1"})
    assert await welcome_device(server, {"X-Forwarded-For": SPOOFED}) == f"ip_{SPOOFED}"
    # Through the proxy, the rightmost address it did not add itself is the client's.
    chain = {"X-Forwarded-For": f"1.2.3.4, {SPOOFED}"}
    assert await welcome_device(server, chain) == f"ip_{SPOOFED}"
