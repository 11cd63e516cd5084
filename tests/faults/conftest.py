"""Fixtures of the fault suite: servers started from the Procfile (on the fresh
PostgreSQL database of tests/conftest.py's `postgres_url`), stopped afterwards."""

from __future__ import annotations

import pytest

from tests.faults.rigs import Servers


@pytest.fixture
def make_server():
    servers = Servers()
    yield servers
    servers.close()
