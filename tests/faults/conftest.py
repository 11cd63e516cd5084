"""Fixtures of the fault suite: servers started from the Procfile on a fresh
PostgreSQL database (tests/conftest.py's `postgres_url`), with the exhibit set first
where a scenario needs it."""

from __future__ import annotations

import pytest

from tests.faults.rigs import exhibit_set
from tests.parts import Server


class Servers:
    """Starts servers as the Procfile says and stops every one of them at the end."""

    def __init__(self) -> None:
        self.started: list[Server] = []

    def __call__(self, *, exhibit: dict | None = None, **options) -> Server:
        server = Server(**options)
        self.started.append(server)
        if exhibit:
            exhibit_set(server, **exhibit)
        server.start()
        return server

    def close(self) -> None:
        for server in self.started:
            server.close()


@pytest.fixture
def make_server():
    servers = Servers()
    yield servers
    servers.close()
