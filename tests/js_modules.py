"""The pages' ES modules in Chromium: a real server serves static/ (as it serves the
pages), a page on its origin imports them with import(). Modules cannot be pasted
into a blank page like the classic scripts: their imports need URLs."""

from __future__ import annotations

import pytest

from tests.parts import Server

BLANK = "<!doctype html><title>modules</title>"


@pytest.fixture(scope="module")
def static_server():
    """One server per test module: it only serves the static files."""
    server = Server()
    server.start()
    yield server
    server.close()


def module_page(browser, server: Server, **modules: str):
    """A page on the server's origin with each module's exports on `window[name]`
    (modules={"Sync": "projector/sync.js"}: window.Sync.WallSync)."""
    page = browser.new_page()
    # A blank document on the server's origin (the server has no such page to serve).
    blank = server.http + "/modules-under-test/"
    page.route(blank, lambda route: route.fulfill(body=BLANK, content_type="text/html"))
    page.goto(blank)
    page.evaluate(
        """async (modules) => {
            for (const [name, path] of Object.entries(modules)) {
                window[name] = await import("/static/" + path);
            }
        }""",
        modules,
    )
    return page
