"""The whole path in Chromium: a phone page (touch) draws, the wall page shows it."""

import pytest

from tests.phone_pad import Touch, open_phone, pad_at
from tests.test_wall_page import canvas_image, open_wall

pytestmark = pytest.mark.browser


def inked(image, background=(0x11, 0x11, 0x11), tolerance=30) -> int:
    """Canvas pixels that differ from the background, sampled every 2 px."""
    pixels, (width, height) = image.load(), image.size
    return sum(
        1
        for y in range(0, height, 2)
        for x in range(0, width, 2)
        if sum(abs(a - b) for a, b in zip(pixels[x, y], background, strict=True)) > tolerance
    )


def test_a_swipe_on_a_phone_appears_on_the_wall(start_server, browser, devices):
    server = start_server()
    wall = open_wall(browser, server)
    before = inked(canvas_image(wall))
    phone = open_phone(browser, devices, server)
    Touch(phone).swipe(pad_at(phone, 0.2, 0.3), pad_at(phone, 0.8, 0.7), steps=25)
    phone.wait_for_function("window.phone.outbox === 0")  # everything acknowledged
    wall.wait_for_function("window.wall.sync.keyCount >= 2", timeout=15000)
    wall.wait_for_timeout(300)  # the next animation frame paints the buffer
    after = inked(canvas_image(wall))
    assert after > before + 50, (before, after)
