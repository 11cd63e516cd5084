"""The phone's faint view of the wall (issue 14): a visitor far from the wall sees
where the others drew, faintly, under their own strokes (docs/protocol.md, "The view
of the wall"). Chromium with phone profiles and real touch events; pixels sampled."""

from __future__ import annotations

import pytest

from tests.parts import Server, wait_for
from tests.phone_pad import Touch, open_phone, pad_at, pad_box, pad_ink, wall_has_everything_drawn

pytestmark = pytest.mark.browser


def view_pixel(page, fx: float, fy: float) -> tuple[int, int, int]:
    """The view layer's colour at a point of the pad (fractions of its drawing area)."""
    return tuple(
        page.evaluate(
            """([fx, fy]) => {
            const c = document.getElementById('wallview');
            const x = Math.round(fx * c.width), y = Math.round(fy * c.height);
            return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
        }""",
            [fx, fy],
        )
    )


def screen_pixel(page, fx: float, fy: float) -> tuple[int, int, int]:
    """What the visitor sees at a point of the pad: a screenshot's pixel there."""
    from io import BytesIO

    from PIL import Image

    # The drawing area proper: the view canvas lies on the pad's content box (inside
    # its border), where fractions of the canvas are what the pad draws at.
    box = page.locator("#wallview").bounding_box()
    x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
    shot = page.screenshot(clip={"x": x - 1, "y": y - 1, "width": 3, "height": 3})
    image = Image.open(BytesIO(shot)).convert("RGB")  # 3 CSS px: 3 x dpr device pixels
    return image.getpixel((image.width // 2, image.height // 2))


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def faint(color: str, background: str) -> tuple[int, int, int]:
    """The view's faint version of a colour (static/controller/wallview.js, FAINT)."""
    return tuple(round(b + (c - b) * 0.3) for c, b in zip(rgb(color), rgb(background), strict=True))


def near(a, b, tolerance: int = 12) -> bool:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) <= tolerance


def background(page) -> str:
    boot = page.evaluate("JSON.parse(document.getElementById('boot').textContent)")
    return boot["exhibit"]["background"]


def test_the_phones_faint_view_of_the_wall_shows_another_phones_stroke(
    start_server, browser, devices
):
    server = start_server()
    watcher = open_phone(browser, devices, server, "iPhone SE (3rd gen)")
    drawer = open_phone(browser, devices, server, "Pixel 7")
    bg = background(watcher)
    color = drawer.evaluate("window.phone.color")
    assert near(view_pixel(watcher, 0.5, 0.3), rgb(bg)), "the view starts empty"

    Touch(drawer).swipe(pad_at(drawer, 0.2, 0.3), pad_at(drawer, 0.8, 0.3), steps=12)
    wall_has_everything_drawn(drawer, server, "the stroke on the wall")

    # Live: a `view` message brings the other phone's stroke, faint, to the watcher.
    wait_for(
        lambda: near(view_pixel(watcher, 0.5, 0.3), faint(color, bg)),
        10,
        "the other phone's stroke in the watcher's view",
    )
    assert watcher.evaluate("window.phone.wallView.views") >= 1
    assert near(screen_pixel(watcher, 0.5, 0.3), faint(color, bg)), "seen, faint, on screen"
    # It is not the visitor's own drawing: their pad has nothing there, and elsewhere
    # the view is still the background.
    assert pad_ink(watcher, 0.5, 0.3) == 0
    assert near(view_pixel(watcher, 0.5, 0.7), rgb(bg))

    # The visitor's own stroke across it is drawn on the pad, above the view, in full.
    own = watcher.evaluate("window.phone.color")
    Touch(watcher).swipe(pad_at(watcher, 0.5, 0.1), pad_at(watcher, 0.5, 0.6), steps=12)
    wall_has_everything_drawn(watcher, server, "the watcher's stroke on the wall")
    wait_for(lambda: near(screen_pixel(watcher, 0.5, 0.3), rgb(own), 40), 5, "own ink on top")

    # After a reload the picture so far comes from GET /projector/view/ at once.
    watcher.reload()
    watcher.wait_for_function("window.phone && window.phone.wallView.loads >= 1", timeout=15000)
    assert near(view_pixel(watcher, 0.3, 0.3), faint(color, bg))


def test_the_view_lies_exactly_under_the_pad(start_server, browser, devices):
    server = start_server()
    page = open_phone(browser, devices, server, "iPhone SE (3rd gen)")
    for size in ({"width": 375, "height": 667}, {"width": 667, "height": 375}):
        page.set_viewport_size(size)
        page.wait_for_timeout(200)
        pad = pad_box(page)
        view = page.locator("#wallview").bounding_box()
        border = 2  # the pad's frame (phone.css)
        assert view["x"] == pytest.approx(pad["x"] + border, abs=1)
        assert view["y"] == pytest.approx(pad["y"] + border, abs=1)
        assert view["width"] == pytest.approx(pad["width"] - 2 * border, abs=1)
        assert view["height"] == pytest.approx(pad["height"] - 2 * border, abs=1)


def test_with_the_view_switched_off_the_phone_shows_only_its_own(browser, devices):
    server = Server()
    server.manage(
        "shell",
        "-c",
        "from core.models import Exhibit; e = Exhibit.load(); e.phone_view = False; e.save()",
    )
    server.start()
    try:
        watcher = open_phone(browser, devices, server, "iPhone 13")
        drawer = open_phone(browser, devices, server, "Pixel 7")
        bg = background(watcher)
        Touch(drawer).swipe(pad_at(drawer, 0.2, 0.4), pad_at(drawer, 0.8, 0.4), steps=12)
        wall_has_everything_drawn(drawer, server, "the stroke on the wall")
        watcher.wait_for_timeout(2500)  # two view intervals and more
        assert near(view_pixel(watcher, 0.5, 0.4), rgb(bg)), "nothing of the other phone"
        state = watcher.evaluate("window.phone.wallView")
        assert (state["strokes"], state["loads"], state["views"]) == (0, 0, 0), "not fetched"
    finally:
        server.close()
