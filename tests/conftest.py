import os

import pytest

os.environ.setdefault("DJANGO_DEBUG", "1")

from tests.parts import PostgresDatabase, RedisServer, Server  # noqa: E402


@pytest.fixture
def redis_server():
    """A redis-server of this test's own, on a free port."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    database = PostgresDatabase()
    yield database.url
    database.drop()


@pytest.fixture
def start_server():
    """Start the installation as the Procfile says; every server is stopped afterwards."""
    servers: list[Server] = []

    def start(**options) -> Server:
        server = Server(**options)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
async def _stop_runtime():
    """Consumer tests start a per-loop runtime; stop it with the test's loop."""
    yield
    from installation.runtime import runtime_stop

    await runtime_stop()
