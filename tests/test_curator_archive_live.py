"""The archive's gallery in Chromium against the real server: a sheet drawn by two
phones shows with its counts, and its timelapse renders in a child process with a
progress bar, then downloads as an animated WebP whose frames match its length."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.clients import PhoneClient
from tests.test_curator_console_live import PhoneLoop, curator_page, line
from tests.test_curator_live import Curator, phone_cookie, sheet_body

pytestmark = pytest.mark.browser


@pytest.mark.timeout(150)
def test_gallery_makes_a_timelapse_with_progress(start_server, browser):
    server = start_server(workers=1)
    Curator(server)
    phones = PhoneLoop()
    try:
        for y in (0.3, 0.6):
            phone = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
            phones.run(phone.connect())
            phones.run(line(phone, y, "#277da1"))
            phones.run(phone.close())
    finally:
        phones.close()
    sheet = sheet_body(server)["sheet"]
    page = curator_page(browser, server, "/admin/core/sheet/")
    card = page.locator(f'.gallery-card[data-sheet="{sheet}"]')
    for _ in range(20):  # storage lags the wall by a flush
        if card.locator(".stroke-count").text_content() == "2":
            break
        page.wait_for_timeout(300)
        page.reload()
    assert card.locator(".stroke-count").text_content() == "2"
    assert card.locator(".phone-count").text_content() == "2"
    assert card.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")

    card.locator("select[name=seconds]").select_option("6")
    card.locator("select[name=fps]").select_option("20")
    card.locator(".timelapse-make").click()
    state = card.locator(".timelapse-state")
    state.wait_for(state="visible")
    assert state.locator("progress").count() == 1
    link = card.locator("a.timelapse-file")
    link.wait_for(timeout=60000)
    assert "120 frames" in link.text_content()
    assert state.locator("progress").evaluate("p => p.value") == 1
    response = page.request.get(server.http + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(response.body()))
    assert image.n_frames == 120
    total = 0
    for index in range(image.n_frames):
        image.seek(index)
        image.load()
        total += image.info["duration"]
    assert total == 6000
    page.close()
