"""What a visitor sees when the curator acts: paused, wall cleared, wall full (with the
place in line, then let in), blocked. The curator's services run in another process
(`manage.py shell`), as the admin would, and reach the server through real Redis."""

import pytest

from tests.phone_pad import open_phone

pytestmark = [pytest.mark.browser, pytest.mark.database]


def curator(server, call: str) -> None:
    server.manage("shell", "-c", f"from projector.moderation import *; {call}")


def notice(page) -> str:
    return page.locator("#notice").inner_text()


def device_of(page) -> str:
    """The phone's device id, from its signed (HttpOnly) cookie: `id:timestamp:signature`."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "wall_device")
    return cookie["value"].strip('"').split(":", 1)[0]


def test_the_phone_shows_what_the_curator_does(start_server, redis_server, browser, devices):
    server = start_server(redis_url=redis_server.url)
    first = open_phone(browser, devices, server)

    curator(server, "exhibit_pause(paused=True)")
    first.wait_for_function("window.phone.state === 'paused'", timeout=10000)
    assert "paused" in notice(first)
    curator(server, "exhibit_pause(paused=False)")
    first.wait_for_function("window.phone.state === 'live'", timeout=10000)

    curator(server, "exhibit_reset()")
    first.wait_for_function(
        "document.getElementById('notice').textContent.includes('cleared')", timeout=10000
    )

    curator(server, "exhibit_update(max_drawing=1)")
    first.wait_for_timeout(500)  # every process re-reads the exhibit
    context = browser.new_context(**devices["Pixel 7"])
    second = context.new_page()
    second.goto(server.http + "/")
    second.wait_for_function("window.phone && window.phone.state === 'full'", timeout=15000)
    assert second.evaluate("window.phone.position") == 1
    assert "#1 in line" in second.locator("#status").inner_text()

    first.context.close()  # the first visitor leaves: the next in line is let in
    second.wait_for_function("window.phone.state === 'live'", timeout=10000)

    curator(server, f"device_block(device={device_of(second)!r})")
    second.wait_for_function("window.phone.state === 'blocked'", timeout=10000)
    assert "no longer draw" in notice(second)
    second.wait_for_timeout(1500)
    assert second.evaluate("window.phone.state") == "blocked", "a blocked phone stays out"
    context.close()
