"""The museum-safe delay from the curator's console, in Chromium against the real
server: the delay is set in the settings form; a phone's stroke shows on the console as
pending while no wall has it; the curator clicks it and removes the phone's strokes,
and the wall never gets that stroke, while another phone's stroke arrives after the
delay."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from tests.clients import PhoneClient
from tests.test_curator_console_live import PhoneLoop, curator_page, line
from tests.test_curator_live import Curator, phone_cookie

pytestmark = pytest.mark.browser

DELAY = 6  # seconds: room for a click and a removal on a busy test machine


class TimedWall:
    """A wall socket keeping each segment it is sent with when it arrived."""

    def __init__(self, server) -> None:
        self.server = server
        self.segments: list[tuple[float, dict]] = []  # (monotonic time, segment)

    async def connect(self) -> TimedWall:
        self.ws = await websockets.connect(
            self.server.ws + "/ws/wall/",
            additional_headers={"Origin": self.server.origin},
            max_size=2**24,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                message = json.loads(text)
                if message.get("type") == "frame":
                    now = time.monotonic()
                    self.segments.extend((now, s) for s in message["segments"])
        except websockets.ConnectionClosed:
            pass

    def of(self, phone: PhoneClient) -> list[float]:
        """When each segment of this phone's strokes arrived."""
        return [t for t, s in self.segments if s["stroke"].startswith(phone.client + ":")]

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


@pytest.mark.timeout(150)
def test_a_pending_stroke_is_removed_from_the_console_before_any_wall_sees_it(
    start_server, browser
):
    server = start_server(workers=1)
    Curator(server)
    phones = PhoneLoop()
    try:
        # The curator sets the delay in the settings form.
        page = curator_page(browser, server, "/admin/core/exhibit/1/change/")
        assert "Museum-safe delay" in page.text_content("body")
        page.fill("#id_delay_seconds", "601")
        page.click("input[name=_save]")
        page.wait_for_selector(".errornote")
        assert "at most 600 seconds" in page.text_content("body"), "the limit, in words"
        page.fill("#id_delay_seconds", str(DELAY))
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist")
        time.sleep(2.5)  # every process picks the setting up within a second or two

        wall = phones.run(TimedWall(server).connect())
        page.goto(server.http + "/admin/")
        page.wait_for_function("document.getElementById('link').textContent === 'Live.'")
        assert page.is_visible("#delay")
        assert page.text_content("#delay-seconds") == str(DELAY)

        alice = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
        bob = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
        phones.run(alice.connect())
        phones.run(bob.connect())
        alice_at = time.monotonic()
        phones.run(line(alice, 0.3, "#277da1"))  # acked: stored at once

        # The console shows it as pending, on top of the wall's picture, which lacks it.
        page.wait_for_function(
            "window.curatorConsole.pending().size === 1", timeout=(DELAY - 2) * 1000
        )
        assert page.evaluate("window.curatorConsole.sync.strokeCount") == 0
        assert page.is_visible("#pending-note")
        assert "waiting" in page.text_content("#pending-note")
        assert wall.of(alice) == [], "no wall has it during the delay"

        # Click it: its phone is selected, the stroke marked as not on the wall yet.
        box = page.locator("#thumb").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
        page.wait_for_selector("#selection:not([hidden])")
        assert page.text_content("#selected-device") == alice.welcome["device"]
        assert page.is_visible("#selected-pending")
        page.click("#select-remove input[type=submit]")
        page.wait_for_url("**/admin/")
        assert time.monotonic() - alice_at < DELAY, "removed while the delay still held it"

        # Bob draws after; his stroke arrives, but only after the delay.
        bob_at = time.monotonic()
        phones.run(line(bob, 0.7, "#f94144"))

        async def bob_arrives() -> None:
            async with asyncio.timeout(DELAY + 10):
                while not wall.of(bob):
                    await asyncio.sleep(0.05)

        phones.run(bob_arrives(), timeout=DELAY + 15)
        assert min(wall.of(bob)) - bob_at >= DELAY - 0.5, "not before the delay"
        # Well past Alice's delay: her stroke never reached the wall.
        left = alice_at + DELAY + 2 - time.monotonic()
        if left > 0:
            time.sleep(left)
        assert wall.of(alice) == [], "a removed stroke is never shown"
        page.wait_for_function("window.curatorConsole.sync.strokeCount === 1")
        page.wait_for_function("window.curatorConsole.pending().size === 0")

        for client in (alice, bob):
            phones.run(client.close())
        phones.run(wall.close())
        page.close()
    finally:
        phones.close()
