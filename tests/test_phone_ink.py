"""The ink meter mirrors the server's bucket: it falls while drawing fast, refills
when idle, and the page throttles itself so the server never drops a point."""

import math

import pytest

from tests.parts import Server, wait_for
from tests.phone_pad import Touch, open_phone, pad_box, settled, wall_segments

pytestmark = pytest.mark.browser

# Tight limits, so that CDP's touch rate (about 30 moves a second) outruns them.
TIGHT = "ink_rate=8, ink_burst=40, max_messages=10"
SAMPLE = "[window.phone.ink, window.phone.dry, document.getElementById('hint').textContent]"


@pytest.fixture
def tight_server():
    server = Server()
    server.manage(
        "shell",
        "-c",
        "from core.models import Exhibit; "
        f"Exhibit.objects.update_or_create(pk=1, defaults=dict({TIGHT}))",
    )
    server.start()
    yield server
    server.close()


def test_a_fast_drawer_runs_dry_refills_and_never_loses_a_point(tight_server, browser, devices):
    server = tight_server
    page = open_phone(browser, devices, server)
    client = page.evaluate("window.phone.client")
    assert page.evaluate("window.phone.burst") == 40
    full = page.evaluate("window.phone.ink")
    assert full == pytest.approx(40, abs=1)

    touch = Touch(page)
    box = pad_box(page)
    samples = []
    for sweep in range(2):  # rapid long swipes, as fast as the touch screen goes
        moves = 90
        path = [
            (
                box["x"] + box["width"] * (0.5 + 0.45 * math.sin(6 * math.pi * i / moves)),
                box["y"] + box["height"] * (0.1 + 0.8 * i / moves + 0.02 * sweep),
            )
            for i in range(moves + 1)
        ]
        touch.send("touchStart", [path[0]])
        for i, point in enumerate(path[1:]):
            touch.send("touchMove", [point])
            if i % 6 == 0:
                samples.append(page.evaluate(SAMPLE))
        touch.send("touchEnd", [])

    levels = [s[0] for s in samples]
    assert min(levels) < 0.25 * full, "the meter falls while drawing fast"
    assert any(dry and "ink" in hint.lower() for _, dry, hint in samples), (
        "the line stops, and says why"
    )

    wait_for(lambda: settled(page), 20, "every message acknowledged")
    wait_for(lambda: page.evaluate("window.phone.ink") > 0.95 * full, 15, "the ink to refill")
    meter = page.evaluate("getComputedStyle(document.getElementById('meter-fill')).transform")
    assert meter.startswith("matrix(") and float(meter[7:].split(",")[0]) > 0.9, meter

    assert page.evaluate("window.phone.dropped") == {}, "the server dropped nothing"
    assert page.evaluate("window.phone.errors") == {}, "never rate limited"
    drawn = page.evaluate("window.phone.drawn")
    sent = page.evaluate("window.phone.sent")
    assert sent < drawn, "points travel in batches"

    def complete():
        found = wall_segments(server, client)
        return found if sum(len(s["points"]) for s in found) == drawn else None

    segments = wait_for(complete, 10, "every drawn point on the wall")
    assert len({s["stroke"] for s in segments}) > 2, "the line stopped and went on anew"
