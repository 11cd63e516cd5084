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


@pytest.fixture
async def runtime(settings):
    """This process's runtime for consumer tests, stopped with the test's event loop.

    Its strokes are written from a thread: an archiver process would not see the
    test's database."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    from installation.runtime import runtime_get, runtime_stop

    settings.STORE_PROCESS = False
    yield await runtime_get()
    await runtime_stop()
    # The async ORM ran in asgiref's thread; close its connections there, or
    # PostgreSQL refuses to drop the test database while they are open.
    await sync_to_async(connections.close_all)()


# Function-scoped on purpose: Playwright's sync API marks an event loop as running
# for as long as it is started, which would break the async tests that follow.
@pytest.fixture
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser(playwright):
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    from tests.parts import CHROMIUM_ARGS, chromium_path

    browser = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def devices(playwright):
    """Playwright's device profiles (phones with touch, viewport and user agent)."""
    return playwright.devices
