"""The curator's "Wall now" page in Chromium against the real server: it adds up the
phones every process reports and counts the points in the frames it receives."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.clients import PhoneClient
from tests.test_curator_live import PASSWORD, Curator, draw_until_stopped

pytestmark = pytest.mark.browser

PHONES = 6


def phones_drawing(server, connected: threading.Event, stop: threading.Event) -> None:
    """Phones on their own loop: Playwright's sync API holds the test's thread."""

    async def main() -> None:
        phones = [PhoneClient(server.ws, server.origin) for _ in range(PHONES)]
        await asyncio.gather(*(p.connect() for p in phones))
        connected.set()
        halt = asyncio.Event()
        tasks = [asyncio.create_task(draw_until_stopped(p, halt, i)) for i, p in enumerate(phones)]
        while not stop.is_set():
            await asyncio.sleep(0.05)
        halt.set()
        await asyncio.gather(*tasks)
        for phone in phones:
            await phone.close()

    asyncio.run(main())


@pytest.mark.timeout(90)
def test_wall_now_shows_phones_and_points(start_server, redis_server, browser):
    # Two workers on Redis: the page must add up what each process reports.
    server = start_server(workers=2, redis_url=redis_server.url)
    Curator(server)  # creates the superuser
    page = browser.new_page()
    page.goto(server.http + "/admin/login/?next=/admin/core/exhibit/wall-now/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/wall-now/")
    page.wait_for_function("document.getElementById('link').textContent === 'Live.'")

    connected, stop = threading.Event(), threading.Event()
    drawer = threading.Thread(target=phones_drawing, args=(server, connected, stop))
    drawer.start()
    try:
        assert connected.wait(20)
        # Presence comes from every worker within seconds; the page sums it.
        page.wait_for_function(
            f"document.getElementById('connected').textContent === '{PHONES}'", timeout=20000
        )
        page.wait_for_function(
            "Number(document.getElementById('points').textContent) > 0", timeout=20000
        )
        # Each process reports at least every 10 s, even when nothing changes.
        page.wait_for_function(
            "document.getElementById('processes').textContent === '2'", timeout=25000
        )
        assert page.text_content("#connected") == str(PHONES)
        assert page.text_content("#drawing") in {str(n) for n in range(1, PHONES + 1)}
    finally:
        stop.set()
        drawer.join(30)
    assert "Sheet" in page.text_content("#sheets")
    page.close()
