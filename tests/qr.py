"""Reading a QR code off a page the way a visitor's camera does: from its pixels."""

from __future__ import annotations

import io
import time

from PIL import Image, ImageOps

SCAN_SECONDS = 5.0


def decode_qr(png: bytes) -> list[str]:
    """The texts of the QR codes in a screenshot, with a quiet zone added around it
    (an element's screenshot is cut at the code's edge; a camera sees the wall)."""
    import zxingcpp

    image = Image.open(io.BytesIO(png)).convert("L")
    light = max(image.getpixel((0, 0)), image.getpixel((image.width - 1, 0)))
    image = ImageOps.expand(image, border=max(8, image.width // 8), fill=light)
    return [result.text for result in zxingcpp.read_barcodes(image)]


def scan(locator, seconds: float = SCAN_SECONDS) -> list[str]:
    """What the QR code image at `locator` decodes to, once Chromium has painted it.

    Chromium decodes images off the main thread and may paint a frame without one on
    a loaded machine, so this waits for the image's decode() and then looks again
    for a short while before it reports nothing."""
    locator.evaluate("image => image.decode ? image.decode() : null")
    deadline = time.monotonic() + seconds
    while True:
        found = decode_qr(locator.screenshot(animations="disabled"))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
