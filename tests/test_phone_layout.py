"""The pad on any phone (issue 14): iPhone SE, Pixel 7, iPhone 13 and an iPad, upright
and sideways. The drawing area is as large as the wall's aspect allows and visibly
bounded, the ink meter is labelled, touch targets are at least 44 px, the palette is
one row, there is a title and a one-line hint, and the "turn sideways" hint follows
one rule on every device. The phone's strokes are drawn with the wall's curve code."""

from __future__ import annotations

import pytest

from tests.phone_pad import Touch, pad_at, pad_ink

pytestmark = pytest.mark.browser

PROFILES = ["iPhone SE (3rd gen)", "Pixel 7", "iPhone 13", "iPad (gen 7)"]
ASPECT = 16 / 9  # the default exhibit


@pytest.fixture(scope="module")
def server():
    from tests.parts import Server

    server = Server()
    server.start()
    yield server
    server.close()


def open_pad(browser, devices, server, profile):
    context = browser.new_context(**devices[profile])
    page = context.new_page()
    page.goto(server.http + "/")
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    return page


def largest(width: float, height: float) -> float:
    """The area of the largest 16:9 rectangle that fits the screen."""
    return min(width, height * ASPECT) * min(height, width / ASPECT)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_pad_is_as_large_as_the_wall_allows_in_both_orientations(
    server, browser, devices, profile
):
    for landscape in (False, True):
        name = profile + (" landscape" if landscape else "")
        page = open_pad(browser, devices, server, name)
        view = page.viewport_size
        box = page.locator("#pad").bounding_box()
        assert abs(box["width"] / box["height"] - ASPECT) < 0.02, "the wall's shape"
        area = box["width"] * box["height"]
        if landscape:
            # Beside a panel of tools: most of what the screen allows.
            assert area >= 0.6 * largest(view["width"], view["height"]), (name, box, view)
        else:
            # Upright, a wide wall is as wide as the screen.
            assert box["width"] >= 0.95 * view["width"], (name, box, view)
        # Visibly bounded: a frame lighter than the room around the pad.
        border = page.evaluate("getComputedStyle(document.getElementById('pad')).borderTopWidth")
        assert float(border.rstrip("px")) >= 1
        # The title, the labelled ink meter and the hint are there, on screen.
        for selector in ("#title", "#ink-label", "#hint", "#you"):
            assert page.locator(selector).is_visible(), (name, selector)
        assert page.locator("#ink-label").inner_text() == "Ink"
        assert page.get_by_role("meter", name="Ink").count() == 1
        hint = page.locator("#hint")
        assert hint.bounding_box()["height"] < 3 * 18, "a short hint"
        # Touch targets of 44 px at least, and the palette on one row.
        sizes = page.evaluate(
            """() => Array.from(document.querySelectorAll('#tools button')).map(b => {
                const r = b.getBoundingClientRect(); return [r.width, r.height, r.top]; })"""
        )
        assert sizes and all(w >= 44 and h >= 44 for w, h, _ in sizes), (name, sizes)
        tops = {
            round(t)
            for t in page.evaluate(
                """() => Array.from(document.querySelectorAll('#palette button'))
                    .map(b => b.offsetTop)"""
            )
        }
        assert len(tops) == 1, "one row (it scrolls sideways when it does not fit)"
        # One rule on every device: upright with a wide wall, turning is suggested.
        turn = hint.get_attribute("data-turn") == "true"
        assert turn == (not landscape), name
        if turn:
            assert "sideways" in hint.inner_text()
        page.context.close()


def test_a_fast_zigzag_is_drawn_as_a_smooth_curve(server, browser, devices):
    """The phone draws through the midpoints with quadratic curves, as the wall does:
    at a sharp corner the line passes inside the corner point, not through it."""
    page = open_pad(browser, devices, server, "Pixel 7 landscape")
    touch = Touch(page)
    a, b, c = pad_at(page, 0.2, 0.8), pad_at(page, 0.5, 0.2), pad_at(page, 0.8, 0.8)
    touch.send("touchStart", [a])
    touch.send("touchMove", [b])
    touch.send("touchMove", [c])
    touch.send("touchEnd", [])
    page.wait_for_timeout(200)
    assert pad_ink(page, 0.2, 0.8) > 0 and pad_ink(page, 0.8, 0.8) > 0, "ends are drawn"
    assert pad_ink(page, 0.5, 0.2, radius=2) == 0, "the corner is rounded off"
    # Through the midpoints (0.35, 0.5) and (0.65, 0.5) with (0.5, 0.2) as control:
    # the apex is at y = 0.35.
    assert pad_ink(page, 0.5, 0.35, radius=3) > 0, "the curve passes below the corner"
    loaded = page.evaluate(
        "performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname)"
    )
    assert "/static/pen.js" in loaded, "the wall's pen"
    assert page.evaluate("typeof window.WallPen") == "undefined", "imported, not a global"
