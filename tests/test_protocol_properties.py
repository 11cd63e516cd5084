"""A stateful property test of the phone protocol: random sequences of messages from
several devices, some aimed at each other's client ids, through the real consumer.

Invariants, after every step:
- an ack only ever covers seqs the server received from that client;
- a segment is drawn only for the device that owns its client id;
- every closed connection is released, and the runtime's count of phones matches the
  connections that are open.
"""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from controller.devices import device_sign

pytestmark = [pytest.mark.django_db(transaction=True)]

DEVICES = ["d_alice", "d_bob", "d_carol"]
CLIENTS = ["a", "b", "c", "d"]  # made unique per run: the database outlives a run
HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


class Phone:
    def __init__(self, device: str) -> None:
        from installation.asgi import application

        cookie = (b"cookie", f"wall_device={device_sign(device)}".encode())
        self.comm = WebsocketCommunicator(application, "/ws/draw/", headers=[*HEADERS, cookie])
        self.device = device
        self.client: str | None = None
        self.closed = False
        self.acks: list[int] = []
        self.errors: list[dict] = []


class PhoneProtocol(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.prefix = f"client-{secrets.token_hex(4)}-"
        self.phones: list[Phone] = []
        self.owner: dict[str, str] = {}  # client -> the device the server granted it to
        self.sent: dict[str, set[int]] = {}  # client -> seqs the server received
        self.next_seq: dict[str, int] = {}
        self.drawn: list[tuple[str, str]] = []  # (device, client) of each drawn segment

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def start_runtime(self) -> None:
        from installation.runtime import runtime_get

        self.runtime = self.run(runtime_get())
        draw = self.runtime.draw

        def recording_draw(segment) -> None:
            self.drawn.append((segment.device, segment.client))
            draw(segment)

        self.runtime.draw = recording_draw

    def teardown(self) -> None:
        from installation.runtime import runtime_stop

        for phone in self.phones:
            if not phone.closed:
                self.run(phone.comm.disconnect())
        self.run(runtime_stop())
        self.run(self.cancel_the_rest())
        self.loop.close()

    async def cancel_the_rest(self) -> None:
        """Connections' tasks the test client left behind, ended inside their loop."""
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def open_phones(self) -> list[Phone]:
        return [p for p in self.phones if not p.closed]

    async def drain(self, phone: Phone, wait: float = 0.05) -> None:
        while not await phone.comm.receive_nothing(wait):
            output = await phone.comm.receive_output(1)
            if output["type"] == "websocket.close":
                phone.closed = True
                return
            message = json.loads(output["text"])
            if message["type"] == "ack":
                phone.acks.append(message["seq"])
            elif message["type"] == "error":
                phone.errors.append(message)
            elif message["type"] == "welcome":
                phone.client = message["client"]

    @rule(device=st.sampled_from(DEVICES), client=st.sampled_from(CLIENTS))
    @precondition(lambda self: len(self.open_phones()) < 5)
    def connect_and_hello(self, device: str, client: str) -> None:
        client = self.prefix + client
        phone = Phone(device)
        already = sum(1 for p in self.open_phones() if p.device == device)
        connected, _ = self.run(phone.comm.connect())
        assert connected
        self.phones.append(phone)
        self.run(phone.comm.send_json_to({"type": "hello", "client": client}))
        self.run(self.drain(phone, 0.1))
        if already >= self.runtime.exhibit.max_connections_per_device:
            assert phone.closed and phone.errors[-1]["code"] == "too_many_connections"
        elif phone.client is not None:
            assert self.owner.setdefault(client, device) == device, "a taken client was granted"
            self.next_seq.setdefault(client, 1)
        else:
            assert self.owner.get(client) not in (None, device)
            assert phone.errors[-1]["code"] == "client_taken"

    @rule(data=st.data(), jump=st.sampled_from([0, 0, 0, 1, 2**31]))
    @precondition(lambda self: any(p.client for p in self.open_phones()))
    def send(self, data, jump: int) -> None:
        phone = data.draw(st.sampled_from([p for p in self.open_phones() if p.client]))
        client = phone.client
        seq = self.next_seq[client] + jump
        kind = data.draw(st.sampled_from(["start", "ping"]))
        message: dict = {"type": kind, "seq": seq}
        if kind == "start":
            message.update(stroke=seq, color="#f94144", width=0.006, points=[[0.5, 0.5]])
        self.run(phone.comm.send_json_to(message))
        if jump == 0:
            self.sent.setdefault(client, set()).add(seq)
            self.next_seq[client] = seq + 1
        self.run(self.drain(phone, 0.3))

    @rule(data=st.data())
    @precondition(lambda self: bool(self.open_phones()))
    def close(self, data) -> None:
        phone = data.draw(st.sampled_from(self.open_phones()))
        self.run(phone.comm.disconnect())
        phone.closed = True

    @invariant()
    def acks_cover_only_received_seqs(self) -> None:
        for phone in self.phones:
            for seq in phone.acks:
                if seq:
                    assert phone.client is not None
                    received = self.sent.get(phone.client, set())
                    assert set(range(1, seq + 1)) <= received, (phone.client, seq)

    @invariant()
    def segments_are_drawn_only_for_their_owner(self) -> None:
        for device, client in self.drawn:
            assert self.owner.get(client) == device

    @invariant()
    def closed_connections_are_released(self) -> None:
        if not hasattr(self, "runtime"):
            return
        self.run(asyncio.sleep(0.02))
        open_now = len(self.open_phones())
        assert self.runtime.stats().phones == open_now


@pytest.mark.database
def test_the_phone_protocol_holds_its_invariants(settings):
    settings.STORE_PROCESS = False  # an archiver process would not see the test database
    PhoneProtocol.TestCase.settings = hypothesis_settings(
        max_examples=8,
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    PhoneProtocol.TestCase().runTest()
