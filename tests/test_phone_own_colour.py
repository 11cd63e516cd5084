"""A colour of one's own (issue 14): two fresh phones draw in two different colours
on the wall, each page says its colour in words, and it stays for the visit."""

from __future__ import annotations

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)
from tests.parts import wait_for
from tests.phone_pad import Touch, open_phone, pad_at, wall_has_everything_drawn

pytestmark = pytest.mark.browser

WALL_LIVE = "window.wall && window.wall.ready && window.wall.state.connection === 'live'"


def open_wall(browser, server):
    page = browser.new_page(viewport={"width": 960, "height": 540})
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(server.http + "/projector/")
    page.wait_for_function(WALL_LIVE, timeout=15000)
    return page


def wall_pixel(page, fx: float, fy: float) -> tuple[int, int, int]:
    """The wall canvas's colour at a point of the picture (fractions of the canvas)."""
    return tuple(
        page.evaluate(
            """([fx, fy]) => {
            const c = document.querySelector('#stage canvas');
            const b = window.wall.state.box, d = c.width / window.innerWidth;
            const x = Math.round((b.x + fx * b.w) * d), y = Math.round((b.y + fy * b.h) * d);
            return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
        }""",
            [fx, fy],
        )
    )


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def close(a, b, tolerance: int = 30) -> bool:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) <= tolerance


def test_two_fresh_phones_draw_in_two_colours_on_the_wall(start_server, browser, devices):
    server = start_server()
    wall = open_wall(browser, server)
    phones = [
        open_phone(browser, devices, server, "Pixel 7"),
        open_phone(browser, devices, server, "iPhone 13"),
    ]
    colors = [p.evaluate("window.phone.color") for p in phones]
    assert colors[0] != colors[1], "each visitor has a colour of their own"
    for page in phones:
        name = page.evaluate("window.phone.colorName")
        assert name and page.locator("#you").inner_text() == f"You are {name}"
        checked = page.locator("#palette [aria-checked=true]")
        assert checked.get_attribute("aria-label") == name

    for page, y in zip(phones, (0.3, 0.7), strict=True):
        touch = Touch(page)
        touch.swipe(pad_at(page, 0.2, y), pad_at(page, 0.8, y), steps=12)
        wall_has_everything_drawn(page, server, "the stroke on the wall")

    for color, y in zip(colors, (0.3, 0.7), strict=True):
        wait_for(
            lambda color=color, y=y: close(wall_pixel(wall, 0.5, y), rgb(color)),
            10,
            f"{color} on the wall at y={y}",
        )

    # The colour stays for the visit: a reload keeps it.
    phones[0].reload()
    phones[0].wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    assert phones[0].evaluate("window.phone.color") == colors[0]


def test_a_colour_the_visitor_picks_wins_for_the_visit(start_server, browser, devices):
    server = start_server()
    page = open_phone(browser, devices, server, "iPhone SE")
    own = page.evaluate("window.phone.color")
    other = page.evaluate(
        "c => Array.from(document.querySelectorAll('#palette button'))"
        ".map(b => b.getAttribute('aria-label')).find(n => n !== c)",
        page.evaluate("window.phone.colorName"),
    )
    page.locator(f"#palette [aria-label='{other}']").tap()
    picked = page.evaluate("window.phone.color")
    assert picked != own and page.locator("#you").inner_text() == f"You are {other}"
    page.reload()
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    assert page.evaluate("window.phone.color") == picked


def test_colour_names(browser, static_server):  # noqa: F811 (the fixture)
    page = module_page(browser, static_server, ColorNames="controller/colornames.js")
    names = page.evaluate(
        """() => ['#4d908e', '#F94144', '#ffffff', '#4e918f', '#0a0a0a', '#ff0000',
                  '#10107a', 'nonsense'].map(ColorNames.name)"""
    )
    assert names == ["teal", "red", "white", "teal", "black", "red", "navy", ""]
    page.close()
