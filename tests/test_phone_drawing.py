"""The phone page in Chromium with a phone profile and real touch input: it draws,
reaches the wall, ignores a second finger, and never scrolls or zooms."""

import time

import pytest

from tests.parts import wait_for
from tests.phone_pad import (
    Touch,
    open_phone,
    pad_at,
    pad_box,
    pad_ink,
    wall_has_everything_drawn,
)

pytestmark = pytest.mark.browser


def test_a_swipe_draws_on_the_phone_and_reaches_the_wall(start_server, browser, devices):
    server = start_server()
    page = open_phone(browser, devices, server)
    assert page.evaluate("window.phone.aspect") == pytest.approx(16 / 9)
    box = pad_box(page)
    assert box["width"] / box["height"] == pytest.approx(16 / 9, rel=0.02), "letterboxed"
    assert pad_ink(page, 0.5, 0.5) == 0

    Touch(page).swipe(pad_at(page, 0.2, 0.5), pad_at(page, 0.8, 0.5))

    assert pad_ink(page, 0.5, 0.5) > 0, "local echo: the ink is under the finger"
    segments = wall_has_everything_drawn(page, server, "the whole stroke on the wall")
    points = [p for s in segments for p in s["points"]]
    assert len({s["stroke"] for s in segments}) == 1
    xs = [p[0] for p in points]
    assert min(xs) == pytest.approx(0.2, abs=0.03) and max(xs) == pytest.approx(0.8, abs=0.03)
    assert all(p[1] == pytest.approx(0.5, abs=0.02) for p in points), "lands where drawn"
    assert page.evaluate("window.phone.dropped") == {}
    assert page.evaluate("window.phone.color") in page.evaluate(
        "JSON.parse(document.getElementById('boot').textContent).exhibit.palette"
    )


def test_a_second_finger_does_not_draw_a_line_between_touches(start_server, browser, devices):
    server = start_server()
    page = open_phone(browser, devices, server)
    touch = Touch(page)
    # Two fingers land together, far apart, and move right: only the first one draws.
    touch.gesture(
        [
            (pad_at(page, 0.2, 0.3), pad_at(page, 0.4, 0.3)),
            (pad_at(page, 0.6, 0.7), pad_at(page, 0.8, 0.7)),
        ],
        steps=12,
    )
    # A palm rests while the finger draws: it lands later and moves, and draws nothing.
    first, palm = pad_at(page, 0.2, 0.85), pad_at(page, 0.9, 0.15)
    touch.send("touchStart", [first])
    touch.send("touchStart", [first, palm])
    for i in range(1, 8):
        touch.send("touchMove", [(first[0] + 8 * i, first[1]), (palm[0] - 6 * i, palm[1] + 4 * i)])
    touch.send("touchEnd", [])

    assert pad_ink(page, 0.3, 0.3) > 0, "the first finger drew"
    for fx, fy in [(0.7, 0.7), (0.5, 0.5), (0.4, 0.5), (0.6, 0.5), (0.85, 0.2), (0.55, 0.5)]:
        assert pad_ink(page, fx, fy, radius=4) == 0, f"nothing drawn at {fx},{fy}"
    segments = wall_has_everything_drawn(page, server, "both strokes on the wall")
    assert len({s["stroke"] for s in segments}) == 2
    for segment in segments:
        for x, y, *_ in segment["points"]:
            near_first = abs(y - 0.3) < 0.02 and 0.18 < x < 0.42
            near_finger = abs(y - 0.85) < 0.02 and x < 0.5
            assert near_first or near_finger, f"a point away from the first finger: {x},{y}"


SCROLLED = """() => [window.scrollX, window.scrollY, document.scrollingElement.scrollTop,
    visualViewport.scale, visualViewport.offsetTop, visualViewport.offsetLeft,
    window.innerWidth, window.innerHeight]"""


def test_the_page_cannot_be_scrolled_or_zoomed_while_drawing(start_server, browser, devices):
    server = start_server()
    page = open_phone(browser, devices, server)
    before = page.evaluate(SCROLLED)
    assert before[3] == 1
    touch = Touch(page)
    viewport = page.viewport_size
    middle_x = viewport["width"] / 2
    # Swipes that would scroll or pull to refresh: on the pad and on the bars around it.
    touch.swipe(pad_at(page, 0.5, 0.1), pad_at(page, 0.5, 0.95), steps=15)
    touch.swipe(pad_at(page, 0.5, 0.9), pad_at(page, 0.5, 0.05), steps=15)
    touch.swipe((middle_x, 5), (middle_x, viewport["height"] - 5), steps=15)
    touch.swipe((middle_x, viewport["height"] - 5), (middle_x, 5), steps=15)
    # A pinch to zoom, on the pad and beside it.
    for cy in (pad_at(page, 0.5, 0.5)[1], viewport["height"] - 30):
        touch.gesture(
            [
                ((middle_x - 10, cy), (middle_x - 120, cy)),
                ((middle_x + 10, cy), (middle_x + 120, cy)),
            ],
            steps=12,
        )
    # A double tap.
    for _ in range(2):
        touch.send("touchStart", [pad_at(page, 0.3, 0.6)])
        touch.send("touchEnd", [])
    page.wait_for_timeout(300)
    assert page.evaluate(SCROLLED) == before
    styles = page.evaluate(
        """() => { const c = getComputedStyle(document.getElementById('pad'));
        const h = getComputedStyle(document.documentElement);
        return [c.touchAction, h.overscrollBehaviorY, h.userSelect || h.webkitUserSelect]; }"""
    )
    assert styles == ["none", "none", "none"]
    menu = page.evaluate(
        """() => { const e = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
        return document.getElementById('pad').dispatchEvent(e); }"""
    )
    assert menu is False, "the context menu is refused"


def test_a_visitors_strokes_come_back_after_a_reload(start_server, browser, devices):
    """The phone keeps the visitor's strokes for the visit (sessionStorage, with the
    sheet they were drawn on) and draws them again after a reload; strokes kept for
    another sheet (the wall was reset meanwhile) are not."""
    from tests.parts import wait_for
    from tests.phone_pad import Touch, open_phone, pad_at, pad_ink, settled

    server = start_server()
    page = open_phone(browser, devices, server)
    Touch(page).swipe(pad_at(page, 0.2, 0.3), pad_at(page, 0.8, 0.3), steps=12)
    wait_for(lambda: settled(page), 10, "the stroke acknowledged")
    page.wait_for_timeout(700)  # kept half a second after the stroke ends
    page.reload()
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    page.wait_for_timeout(200)
    assert pad_ink(page, 0.5, 0.3) > 0, "the stroke is back"
    # Kept for a sheet the wall is no longer on: not drawn.
    page.evaluate(
        """() => { const k = JSON.parse(sessionStorage.getItem('wall.strokes'));
                   k.sheet = k.sheet + 1000;
                   sessionStorage.setItem('wall.strokes', JSON.stringify(k)); }"""
    )
    page.reload()
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    page.wait_for_timeout(200)
    assert pad_ink(page, 0.5, 0.3) == 0
    page.context.close()


def test_the_phone_says_when_a_stroke_is_on_the_wall(start_server, browser, devices):
    """An ack means stored: once a stroke's end is acknowledged the phone shows a brief
    "On the wall" sign."""
    from tests.phone_pad import Touch, open_phone, pad_at

    server = start_server()
    page = open_phone(browser, devices, server)
    page.evaluate(
        """() => new MutationObserver(() => {
               const e = document.getElementById('landed');
               if (!e.hidden) window.landedShown = e.textContent;
           }).observe(document.getElementById('landed'), {attributes: true})"""
    )
    Touch(page).swipe(pad_at(page, 0.2, 0.6), pad_at(page, 0.8, 0.6), steps=10)
    page.wait_for_function("window.phone.landed === 1", timeout=10000)
    page.wait_for_function("window.landedShown", timeout=2000)
    assert page.evaluate("window.landedShown") == "On the wall ✓"
    page.context.close()


def test_a_busy_server_gets_fewer_fuller_messages_and_every_point(start_server, browser, devices):
    server = start_server(env={"WALL_MESSAGE_BUDGET": "1"})  # one drawing phone is a crowd
    page = open_phone(browser, devices, server)
    touch = Touch(page)

    def slow_stroke(y: float) -> float:
        """40 moves, one each 50 ms or more (unpaced: a message a move); its seconds."""
        began = time.monotonic()
        touch.send("touchStart", [pad_at(page, 0.1, y)])
        for i in range(1, 41):
            touch.send("touchMove", [pad_at(page, 0.1 + 0.8 * i / 40, y)])
            page.wait_for_timeout(50)
        touch.send("touchEnd", [])
        return time.monotonic() - began

    slow_stroke(0.3)  # the server hears its crowd and asks for its slowest pace
    wait_for(lambda: page.evaluate("window.phone.pace") == 200, 10, "the ask for pace 200")
    seconds = slow_stroke(0.7)
    segments = wall_has_everything_drawn(page, server, "both strokes, every point")
    last = [s for s in segments if s["stroke"] == max(x["stroke"] for x in segments)]
    # One message each 200 ms at most (and the end), far fewer than one a move.
    assert len(last) <= seconds / 0.2 + 2 and len(last) < 30, (len(last), seconds)
    xs = [p[0] for s in last for p in s["points"]]
    assert min(xs) == pytest.approx(0.1, abs=0.03) and max(xs) == pytest.approx(0.9, abs=0.03)
