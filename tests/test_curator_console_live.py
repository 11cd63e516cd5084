"""The curator's console in Chromium against the real server: a phone's stroke shows
on the live thumbnail, a click on it finds the phone, and blocking it from there
closes that phone (and no other)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.clients import PhoneClient
from tests.test_curator_live import PASSWORD, Curator, phone_cookie

pytestmark = pytest.mark.browser


class PhoneLoop:
    """Phones on an event loop of their own: Playwright's sync API holds the test's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


async def line(phone: PhoneClient, y: float, color: str) -> None:
    """A horizontal stroke across the middle of the wall at height y."""
    points = [[0.2 + 0.05 * i, y] for i in range(13)]
    seqs = [
        await phone.start(points[:5], color=color, width=0.012),
        await phone.points(points[5:]),
        await phone.end(),
    ]
    for seq in seqs:
        ack = await phone.wait_acked(seq)
        assert "dropped" not in ack


def curator_page(browser, server, path: str = "/admin/"):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.http + "/admin/login/?next=" + path)
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**" + path)
    return page


@pytest.mark.timeout(120)
def test_console_shows_a_stroke_and_blocks_its_phone(start_server, browser):
    server = start_server(workers=1)
    Curator(server)
    phones = PhoneLoop()
    try:
        page = curator_page(browser, server)
        page.wait_for_function("document.getElementById('link').textContent === 'Live.'")
        alice = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
        bob = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
        phones.run(alice.connect())
        phones.run(bob.connect())
        phones.run(line(alice, 0.3, "#277da1"))
        phones.run(line(bob, 0.7, "#f94144"))

        # Both strokes reach the thumbnail within seconds, from the live feed.
        page.wait_for_function("window.curatorConsole.sync.strokeCount === 2", timeout=10000)
        pixel = page.evaluate(
            """() => {
              const c = document.getElementById('thumb');
              const d = c.getContext('2d').getImageData(
                Math.round(c.width * 0.5), Math.round(c.height * 0.3), 1, 1).data;
              return [d[0], d[1], d[2]];
            }"""
        )
        assert pixel == [0x27, 0x7D, 0xA1], "Alice's stroke is drawn on the thumbnail"

        # Click Alice's stroke: her phone is selected.
        box = page.locator("#thumb").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
        page.wait_for_selector("#selection:not([hidden])")
        assert page.text_content("#selected-device") == alice.welcome["device"]
        page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7)
        page.wait_for_function(
            f"document.getElementById('selected-device').textContent === '{bob.welcome['device']}'"
        )
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
        page.wait_for_function(
            "document.getElementById('selected-device').textContent === "
            f"'{alice.welcome['device']}'"
        )

        # Block her from the selection: her phone closes with 4003, Bob's does not.
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#select-block input[type=submit]")
        page.wait_for_url("**/admin/")
        phones.run(asyncio.wait_for(alice._reader, 10))
        assert alice.ws.close_code == 4003
        assert bob.ws.close_code is None
        assert "Blocked" in page.text_content(".messagelist")
        phones.run(bob.close())
        page.close()
    finally:
        phones.close()


@pytest.mark.timeout(120)
def test_colour_picker_changes_the_palette_on_a_connected_phone(start_server, browser):
    server = start_server(workers=1)
    Curator(server)
    phones = PhoneLoop()
    try:
        phone = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
        phones.run(phone.connect())
        before = phone.welcome["exhibit"]["palette"]
        page = curator_page(browser, server, "/admin/core/exhibit/1/change/")
        colours = page.locator(".palette-colour input[type=color]")
        assert colours.count() == len(before)
        # Remove all but the first two, move the second to the front, add a new one.
        for _ in range(len(before) - 2):
            page.locator(".palette-colours .palette-remove").last.click()
        page.locator(".palette-colours .palette-up").nth(1).click()
        page.click(".palette-add")
        page.locator(".palette-colours input[type=color]").last.fill("#12ab34")
        assert page.locator(".palette-colours .palette-hex").last.text_content() == "#12ab34"
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist")

        expected = [before[1], before[0], "#12ab34"]

        async def told() -> dict:
            async with asyncio.timeout(10):
                while True:
                    for message in phone.other:
                        if message.get("type") == "exhibit":
                            return message
                    await asyncio.sleep(0.05)

        message = phones.run(told())
        assert message["exhibit"]["palette"] == expected
        # The new colour is accepted from the phone at once.
        ack = phones.run(phone.wait_acked(phones.run(phone.start([[0.5, 0.5]], color="#12ab34"))))
        assert "dropped" not in ack and not phone.errors
        phones.run(phone.close())
        page.close()
    finally:
        phones.close()


@pytest.mark.timeout(120)
def test_console_comes_back_with_the_walls_backoff_after_a_restart(start_server, browser):
    """The console's feed reconnects through static/reconnect.js, as the walls do:
    back and live soon after the server answers again, its strokes still there."""
    server = start_server(workers=1)
    Curator(server)
    phones = PhoneLoop()
    try:
        page = curator_page(browser, server)
        page.wait_for_function("document.getElementById('link').textContent === 'Live.'")
        alice = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
        phones.run(alice.connect())
        phones.run(line(alice, 0.4, "#277da1"))
        phones.run(alice.close())
        page.wait_for_function("window.curatorConsole.sync.strokeCount === 1", timeout=10000)

        server.stop()
        page.wait_for_function(
            "document.getElementById('link').textContent.startsWith('Live feed lost')",
            timeout=10000,
        )
        page.wait_for_timeout(3000)  # several failed tries: the backoff at its ceiling
        server.start()
        page.wait_for_function(
            "document.getElementById('link').textContent === 'Live.'", timeout=10000
        )
        assert page.evaluate("window.curatorConsole.sync.strokeCount") == 1
        page.close()
    finally:
        phones.close()
