"""The projector page end to end: the real server, phones drawing over the protocol,
the wall in Chromium (p5.js from the vendored copy: the CDN is cut in every test)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from tests.clients import PhoneClient
from tests.parts import Server
from tests.qr import scan

pytestmark = pytest.mark.browser

RED = "#f94144"
BLUE = "#277da1"
VIEWPORT = {"width": 960, "height": 540}
LIVE = "window.wall && window.wall.ready && window.wall.state.connection === 'live'"


@pytest.fixture(scope="module")
def server():
    """One server for the tests that only add strokes (a server start costs seconds)."""
    server = Server()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def public_server():
    """A server whose join address is PUBLIC_URL, as behind a proxy or tunnel."""
    server = Server(env={"PUBLIC_URL": "https://wall.example.org"})
    server.start()
    yield server
    server.close()


def run(coroutine):
    """Run phone code on its own loop: Playwright's sync API holds this thread's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def draw_stroke(server, color: str, y: float, phone: PhoneClient | None = None) -> set[str]:
    """One thick horizontal stroke across the middle third; the accepted keys."""
    own = phone is None
    if own:
        phone = PhoneClient(server.ws, server.origin)
        await phone.connect()
    await phone.start([[0.3, y]], color=color, width=0.024)
    for i in range(1, 8):
        await phone.points([[0.3 + i * 0.05, y + (0.02 if i % 2 else 0)]])
        await asyncio.sleep(0.02)
    await phone.wait_acked(await phone.end([[0.7, y]]))
    keys = phone.accepted()
    if own:
        await phone.close()
    return keys


def open_wall(browser, server, query: str = "", block_cdn: bool = True):
    page = browser.new_page(viewport=VIEWPORT)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    if block_cdn:
        page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(server.http + "/projector/" + query)
    page.wait_for_function(LIVE, timeout=15000)
    page.requests = requests
    return page


def canvas_image(page) -> Image.Image:
    """The wall's canvas pixels (not a screenshot: overlays do not count)."""
    url = page.evaluate("document.querySelector('#stage canvas').toDataURL('image/png')")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def ink_mask(image: Image.Image, color: str, tolerance: int = 40) -> set[tuple[int, int]]:
    """Pixels close to `color`, sampled every 2 px."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    pixels = image.load()
    width, height = image.size
    found = set()
    for y in range(0, height, 2):
        for x in range(0, width, 2):
            pr, pg, pb = pixels[x, y]
            if abs(pr - r) + abs(pg - g) + abs(pb - b) <= tolerance:
                found.add((x, y))
    return found


def wait_for_keys(page, keys: set[str], timeout: float = 20000) -> None:
    page.wait_for_function(
        "keys => keys.every((k) => window.wall.sync.has(k))",
        arg=sorted(keys),
        timeout=timeout,
    )


def test_wall_shows_strokes_drawn_before_it_opened_and_the_same_after_reload(server, browser):
    keys = run(draw_stroke(server, RED, 0.5))
    page = open_wall(browser, server)
    wait_for_keys(page, keys)
    page.wait_for_timeout(300)  # a few display frames
    before = ink_mask(canvas_image(page), RED)
    assert len(before) > 500, "the stroke drawn before the wall opened is on the canvas"
    assert page.evaluate("window.p5Source") == "local"

    # A stroke drawn live, then a reload: the picture comes back from the sheet alone.
    live = run(draw_stroke(server, BLUE, 0.3))
    wait_for_keys(page, live)
    page.wait_for_timeout(300)
    first = canvas_image(page)
    first_keys = page.evaluate("window.wall.keys()")
    page.reload()
    page.wait_for_function(LIVE, timeout=15000)
    wait_for_keys(page, keys | live)
    page.wait_for_timeout(300)
    second = canvas_image(page)
    assert page.evaluate("window.wall.keys()") == first_keys
    for color in (RED, BLUE):
        a, b = ink_mask(first, color), ink_mask(second, color)
        assert a, color
        overlap = len(a & b) / len(a | b)
        assert overlap > 0.95, f"{color}: the same picture after a reload ({overlap:.3f})"
    page.close()


def test_wall_reconnects_after_a_server_restart_and_keeps_every_stroke(start_server, browser):
    server = start_server()
    old = run(draw_stroke(server, RED, 0.6))
    page = open_wall(browser, server, "?backoff_max=2000")
    wait_for_keys(page, old)

    server.stop()
    page.wait_for_function("window.wall.state.connection !== 'live'", timeout=10000)
    server.start()  # the same port and database: the venue's laptop came back
    page.wait_for_function(LIVE, timeout=20000)
    new = run(draw_stroke(server, BLUE, 0.25))
    wait_for_keys(page, old | new)
    page.wait_for_timeout(300)

    image = canvas_image(page)
    assert len(ink_mask(image, RED)) > 500, "the stroke from before the restart is still there"
    assert len(ink_mask(image, BLUE)) > 500, "the stroke from after the restart is drawn"
    assert set(page.evaluate("window.wall.keys()")) == old | new
    assert page.evaluate("window.wall.state.reconnects") >= 1
    page.close()


def test_wall_uses_the_local_p5_when_the_cdn_is_cut(server, browser):
    page = open_wall(browser, server)  # open_wall aborts every request to the CDN
    assert page.evaluate("window.p5Source") == "local"
    assert any("cdn.jsdelivr.net/npm/p5@" in url for url in page.requests), "CDN tried first"
    assert any(url.endswith("/static/vendor/p5/p5.min.js") for url in page.requests)
    assert page.evaluate("typeof window.p5") == "function"
    keys = run(draw_stroke(server, RED, 0.5))
    wait_for_keys(page, keys)
    page.wait_for_timeout(300)
    assert len(ink_mask(canvas_image(page), RED)) > 500, "it renders"
    page.close()


def test_the_join_qr_code_on_the_wall_decodes_to_the_public_url(public_server, browser):
    page = open_wall(browser, public_server)
    card = page.locator("#join")
    assert card.is_visible()
    assert scan(page.locator("#join-qr")) == ["https://wall.example.org/"]
    assert "wall.example.org" in card.inner_text()
    box = page.locator("#join-qr").bounding_box()
    assert box["width"] >= 120, "large enough to scan from a few metres"
    page.close()


def test_the_join_qr_code_falls_back_to_the_address_the_wall_was_opened_at(server, browser):
    page = open_wall(browser, server)
    assert scan(page.locator("#join-qr")) == [server.http + "/"]
    page.close()


def test_a_dropped_frame_on_the_wire_makes_the_wall_resync(server, browser):
    """The channel layer drops a frame without telling anyone; here the test does."""
    page = browser.new_page(viewport=VIEWPORT)
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    dropped: list[dict] = []
    forwarded: list[dict] = []

    def proxy(ws):
        upstream = ws.connect_to_server()

        def from_server(text):
            message = json.loads(text)
            inked = message.get("type") == "frame" and message["segments"]
            # Drop the second frame that carries segments, once.
            if inked and not dropped and any(m.get("segments") for m in forwarded):
                dropped.append(message)
                return
            forwarded.append(message)
            ws.send(text)

        upstream.on_message(from_server)

    page.route_web_socket(re.compile(r".*/ws/wall/$"), proxy)
    page.goto(server.http + "/projector/")
    page.wait_for_function(LIVE, timeout=15000)

    async def draw_slowly():
        phone = PhoneClient(server.ws, server.origin)
        await phone.connect()
        await phone.start([[0.2, 0.5]], color=RED, width=0.024)
        for i in range(1, 10):
            await phone.wait_acked(await phone.points([[0.2 + i * 0.06, 0.5]]))
            await asyncio.sleep(0.06)  # one message per Mixer tick, so several frames
        await phone.wait_acked(await phone.end([[0.8, 0.5]]))
        await phone.close()
        return phone.accepted()

    keys = run(draw_slowly())
    wait_for_keys(page, keys)
    assert dropped, "the proxy dropped a frame"
    missing = {segment["key"] for segment in dropped[0]["segments"]}
    stats = page.evaluate("window.wall.stats")
    assert stats["gaps"] >= 1
    assert stats["resyncs"] >= 1
    assert missing <= set(page.evaluate("window.wall.keys()")), "the dropped segment arrived"
    page.close()


def test_replay_of_a_missing_sheet_says_so(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(server.http + "/projector/?replay=999999&speed=10")
    notice = page.locator("#notice")
    notice.wait_for(state="visible", timeout=15000)
    assert "999999" in notice.inner_text()
    page.close()


def count_pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_poster_prints_on_one_page_of_a4_and_of_letter(public_server, browser):
    page = browser.new_page()
    page.goto(public_server.http + "/poster/")
    page.wait_for_load_state("networkidle")
    assert "wall.example.org" in page.inner_text("body")
    assert scan(page.locator("img.qr")) == ["https://wall.example.org/"]
    page.emulate_media(media="print")
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, prefer_css_page_size=False)
        assert count_pdf_pages(pdf) == 1, paper
    page.close()


def test_replay_plays_a_stored_sheet_back(server, browser):
    keys = run(draw_stroke(server, RED, 0.7))
    with server.get("/projector/sheet/") as response:
        sheet = json.loads(response.read())["sheet"]
    page = browser.new_page(viewport=VIEWPORT)
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(f"{server.http}/projector/?replay={sheet}&speed=50&loop=0")
    page.wait_for_function("window.wall && window.wall.state.connection === 'replay'")
    wait_for_keys(page, keys)
    page.wait_for_timeout(300)
    assert len(ink_mask(canvas_image(page), RED)) > 500
    assert page.evaluate("window.wall.stats.framesApplied") == 0, "no live frames in replay"
    page.close()


def test_attract_screen_shows_when_idle_and_the_first_stroke_dismisses_it(server, browser):
    page = open_wall(browser, server)
    attract = page.locator("#attract")
    assert attract.is_hidden()
    # What the server sends when the curator changes the setting.
    page.evaluate("window.wall.sync.handle({type: 'exhibit', exhibit: {attract_seconds: 1}})")
    attract.wait_for(state="visible", timeout=5000)
    assert scan(page.locator(".attract-qr")) == [server.http + "/"]
    run(draw_stroke(server, BLUE, 0.4))
    attract.wait_for(state="hidden", timeout=5000)
    page.close()


def test_old_ink_fades_when_the_exhibit_asks_for_it(server, browser):
    page = open_wall(browser, server)
    keys = run(draw_stroke(server, RED, 0.15))
    wait_for_keys(page, keys)
    page.wait_for_timeout(300)
    before = len(ink_mask(canvas_image(page), RED))
    assert before > 500
    page.evaluate("window.wall.sync.handle({type: 'exhibit', exhibit: {fade_seconds: 1}})")
    page.wait_for_timeout(2500)
    after = len(ink_mask(canvas_image(page), RED))
    assert after < before * 0.05, (before, after)
    assert set(keys) <= set(page.evaluate("window.wall.keys()")), "faded, not forgotten"
    page.close()


def test_a_curator_reset_clears_the_wall_at_once(start_server, redis_server, browser):
    # Redis carries the reset from the curator's process (here a manage.py shell).
    server = start_server(redis_url=redis_server.url)
    keys = run(draw_stroke(server, RED, 0.5))
    page = open_wall(browser, server)
    wait_for_keys(page, keys)
    old_sheet = page.evaluate("window.wall.sync.sheet")
    server.manage("shell", "-c", "from projector.moderation import exhibit_reset; exhibit_reset()")
    page.wait_for_function(f"window.wall.sync.sheet > {old_sheet}", timeout=10000)
    page.wait_for_function(LIVE)
    page.wait_for_timeout(300)
    assert page.evaluate("window.wall.keys()") == [], "the new sheet is empty"
    assert len(ink_mask(canvas_image(page), RED)) == 0, "the canvas is clear"
    page.reload()
    page.wait_for_function(LIVE, timeout=15000)
    assert page.evaluate("window.wall.keys()") == [], "a reload loads the new, empty sheet"
    page.close()
