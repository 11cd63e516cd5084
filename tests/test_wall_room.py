"""The wall speaks when it matters (issue 14): the empty wall invites people in at
once, the join card never hides ink, "Paused" shows while drawing is paused, a replay
has a caption instead of the live QR code, the latency is never negative, every page
has a favicon, and the wall draws within 5 s whatever the p5.js CDN does."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.parts import Server
from tests.qr import scan
from tests.test_wall_page import BLUE, RED, draw_stroke, open_wall, run, wait_for_keys

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
P5_LOCAL = ROOT / "static" / "vendor" / "p5" / "p5.min.js"
READY = "window.wall && window.wall.ready && window.wall.state.connection === 'live'"


@pytest.fixture(scope="module")
def server():
    server = Server()
    server.start()
    yield server
    server.close()


def rect(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def canvas_rect(page) -> dict:
    box = page.evaluate("window.wall.state.box")
    return {"x": box["x"], "y": box["y"], "width": box["w"], "height": box["h"]}


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_an_empty_wall_invites_people_in_from_the_start(browser):
    server = Server()  # a sheet of its own: empty
    server.start()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
        page.goto(server.http + "/projector/")
        attract = page.locator("#attract")
        assert attract.is_visible(), "at once, before p5.js or the socket"
        page.wait_for_function(READY, timeout=15000)
        page.wait_for_timeout(1200)  # the attract check runs every second
        assert attract.is_visible(), "the sheet is empty: the invitation stays"
        assert page.locator(".attract-title").inner_text()
        qr = page.locator(".attract-qr")
        assert qr.bounding_box()["height"] >= 0.4 * 720, "a big QR code"
        assert scan(qr) == [server.http + "/"]
        run(draw_stroke(server, BLUE, 0.4))
        attract.wait_for(state="hidden", timeout=5000)
        page.reload()
        page.wait_for_function(READY, timeout=15000)
        page.wait_for_timeout(300)
        assert attract.is_hidden(), "a sheet with ink is shown, not covered"
        page.close()
    finally:
        server.close()


@pytest.mark.parametrize("viewport", [(1280, 720), (1024, 768), (1920, 1080), (800, 600)])
def test_the_join_card_never_covers_the_canvas(server, browser, viewport):
    width, height = viewport
    page = browser.new_page(viewport={"width": width, "height": height})
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(server.http + "/projector/")
    page.wait_for_function(READY, timeout=15000)
    keys = run(draw_stroke(server, RED, 0.97))  # along the bottom edge, to the corner
    wait_for_keys(page, keys)
    join, canvas = rect(page, "#join"), canvas_rect(page)
    assert not overlap(join, canvas), (viewport, join, canvas)
    largest = min(width, height * 16 / 9) * min(height, width * 9 / 16)
    assert canvas["width"] * canvas["height"] >= 0.65 * largest, "still big"
    # The ink in the bottom-right corner is on top: nothing covers it.
    x = canvas["x"] + canvas["width"] * 0.69
    y = canvas["y"] + canvas["height"] * 0.97
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [x, y]) in (
        "CANVAS",
        "MAIN",
    )
    page.close()


def test_paused_shows_on_the_wall_when_the_exhibit_says_so(server, browser):
    page = open_wall(browser, server)
    banner = page.locator("#banner")
    assert banner.is_hidden()
    page.evaluate("window.wall.sync.handle({type: 'exhibit', exhibit: {paused: true}})")
    assert banner.is_visible() and "Paused" in banner.inner_text()
    page.evaluate("window.wall.sync.handle({type: 'exhibit', exhibit: {paused: false}})")
    assert banner.is_hidden()
    page.evaluate(
        "window.wall.sync.handle({type: 'exhibit', exhibit: {closed: true,"
        " closed_message: 'Back tomorrow at 10'}})"
    )
    assert banner.inner_text() == "Back tomorrow at 10"
    page.close()


def test_a_curator_pause_shows_on_the_wall(start_server, redis_server, browser):
    server = start_server(redis_url=redis_server.url)
    page = open_wall(browser, server)
    server.manage("shell", "-c", "from projector.moderation import *; exhibit_pause(paused=True)")
    page.locator("#banner").wait_for(state="visible", timeout=5000)
    assert "Paused" in page.locator("#banner").inner_text()
    server.manage("shell", "-c", "from projector.moderation import *; exhibit_pause(paused=False)")
    page.locator("#banner").wait_for(state="hidden", timeout=5000)
    page.close()


def test_a_replay_has_a_caption_instead_of_the_join_card(server, browser):
    keys = run(draw_stroke(server, RED, 0.5))
    with server.get("/projector/sheet/") as response:
        sheet = json.loads(response.read())["sheet"]
    page = browser.new_page(viewport={"width": 960, "height": 540})
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(f"{server.http}/projector/?replay={sheet}&speed=4&loop=0")
    page.wait_for_function("window.wall && window.wall.state.connection === 'replay'")
    wait_for_keys(page, keys)
    caption = page.locator("#caption")
    assert caption.is_visible()
    text = caption.inner_text()
    assert f"Sheet {sheet}" in text and "×4" in text
    assert re.search(r"\b20\d\d\b", text), "the sheet's date"
    assert page.locator("#join").is_hidden(), "no live QR code on a replay"
    assert page.locator("#attract").is_hidden()
    page.close()


def test_the_latency_is_never_negative(server, browser):
    page = open_wall(browser, server, "?status=1")
    for y in (0.2, 0.3, 0.4):
        wait_for_keys(page, run(draw_stroke(server, BLUE, y)))
    latency = page.evaluate("window.wall.state.latencyMs")
    assert latency is not None and 0 <= latency < 1000, latency
    assert page.evaluate("window.wall.sync.oneWay") >= 0
    assert re.search(r"latency\s+\d+ ms", page.locator("#status").inner_text())
    page.close()


def test_every_page_has_a_favicon(server, browser):
    page = browser.new_page()
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    for path in ("/", "/projector/", "/poster/"):
        page.goto(server.http + path)
        href = page.evaluate("document.querySelector('link[rel=icon]').href")
        response = page.request.get(href)
        assert response.ok and "svg" in response.headers["content-type"], path
    page.close()


def cdn_answers(route):
    route.fulfill(
        status=200,
        body=P5_LOCAL.read_bytes(),
        headers={"content-type": "application/javascript", "access-control-allow-origin": "*"},
    )


def cdn_fails(route):
    route.abort()


held = []


def cdn_hangs(route):
    held.append(route)  # never answered: a venue that drops packets, a captive portal


@pytest.mark.parametrize(
    ("cdn", "source"), [(cdn_answers, "cdn"), (cdn_fails, "local"), (cdn_hangs, "local")]
)
def test_the_wall_draws_within_5_s_whatever_the_cdn_does(server, browser, cdn, source):
    page = browser.new_page(viewport={"width": 960, "height": 540})
    page.route("**/cdn.jsdelivr.net/**", cdn)
    started = time.monotonic()
    page.goto(server.http + "/projector/", wait_until="commit")
    page.wait_for_function(READY, timeout=5000)
    keys = run(draw_stroke(server, RED, 0.45))
    wait_for_keys(page, keys, timeout=max(500, 5000 - (time.monotonic() - started) * 1000))
    elapsed = time.monotonic() - started
    assert elapsed < 5 + 1, elapsed  # the stroke's own round trip on top
    assert page.evaluate("window.p5Source") == source
    assert page.locator("#stage canvas").count() >= 1
    page.close()
    held.clear()


def test_the_wall_is_back_soon_after_the_server_answers(start_server, browser):
    """Capped, jittered backoff (static/reconnect.js): after a restart the wall is
    live again, its sheet loaded, well within 1.5 s of the server answering."""
    server = start_server()
    page = open_wall(browser, server)
    backs = []
    for _ in range(3):
        server.stop()
        page.wait_for_function("window.wall.state.connection !== 'live'", timeout=10000)
        page.wait_for_timeout(3000)  # the backoff reaches its ceiling
        server.start()  # returns once /healthz answers
        answered = time.monotonic()
        page.wait_for_function(READY, timeout=10000, polling=10)
        backs.append(time.monotonic() - answered)
    print("wall back after the server answered (s):", [round(b, 2) for b in backs])
    assert max(backs) < 2.0, backs
    page.close()


def test_a_drawing_pen_shows_as_a_ring_in_its_colour(server, browser, devices):
    """Live cursors: while a phone draws, the wall shows a soft ring in the visitor's
    colour where the pen is; it fades once the finger lifts."""
    from tests.phone_pad import Touch, open_phone, pad_at

    wall = open_wall(browser, server)
    phone = open_phone(browser, devices, server)
    color = phone.evaluate("window.phone.color")
    touch = Touch(phone)
    start = pad_at(phone, 0.3, 0.5)
    touch.send("touchStart", [start])
    for i in range(1, 12):
        touch.send("touchMove", [(start[0] + 8 * i, start[1])])
    wall.wait_for_function("window.wall.pens.length > 0", timeout=5000)
    pen = wall.evaluate("window.wall.pens[0]")
    assert pen["color"].lower() == color
    # The ring's rim, a radius above the pen (off the horizontal stroke), is tinted.
    rim = wall.evaluate(
        """(pen) => {
        const c = document.querySelector('#stage canvas'), b = window.wall.state.box;
        const d = c.width / window.innerWidth, r = Math.max(10, b.w * 0.014);
        const x = Math.round((b.x + pen.x * b.w) * d), y = Math.round((b.y + pen.y * b.h - r) * d);
        return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
    }""",
        pen,
    )
    assert max(rim) > 0x11 + 30, ("the ring is drawn", rim)
    touch.send("touchEnd", [])
    wall.wait_for_function("window.wall.pens.length === 0", timeout=5000)
    phone.context.close()
    wall.close()
