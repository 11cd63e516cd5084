"""Helpers for the phone page's browser tests: a phone profile, real touch input
through the Chrome DevTools Protocol, and the wall's view of one phone."""

from __future__ import annotations

import json
import math
import urllib.request

from tests.parts import wait_for

PHONE = "Pixel 7"


def open_phone(browser, devices, server, profile: str = PHONE):
    """A phone-sized, touch-enabled page on the drawing pad, welcomed by the server."""
    context = browser.new_context(**devices[profile])
    page = context.new_page()
    page.goto(server.http + "/")
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    return page


class Touch:
    """Real touch events (Input.dispatchTouchEvent), in CSS pixels of the viewport."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def send(self, kind: str, points: list[tuple[float, float]]) -> None:
        touch_points = [
            {"x": x, "y": y, "id": i, "radiusX": 4, "radiusY": 4, "force": 1}
            for i, (x, y) in enumerate(points)
        ]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    def swipe(self, start, end, steps: int = 30) -> None:
        self.gesture([(start, end)], steps)

    def gesture(self, fingers, steps: int = 30) -> None:
        """Fingers go down together, move in `steps` straight steps, and lift together."""
        self.send("touchStart", [a for a, _ in fingers])
        for i in range(1, steps + 1):
            f = i / steps
            self.send(
                "touchMove",
                [(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f) for a, b in fingers],
            )
        self.send("touchEnd", [])

    def scribble(self, box, seconds_of_moves: int = 200, turns: float = 6.0) -> None:
        """One long, fast, winding stroke across the box (as fast as CDP can go)."""
        x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
        path = [
            (
                x0 + w * (0.5 + 0.45 * math.sin(turns * 2 * math.pi * i / seconds_of_moves)),
                y0 + h * (0.1 + 0.8 * i / seconds_of_moves),
            )
            for i in range(seconds_of_moves + 1)
        ]
        self.send("touchStart", [path[0]])
        for point in path[1:]:
            self.send("touchMove", [point])
        self.send("touchEnd", [])


def pad_box(page) -> dict:
    return page.locator("#pad").bounding_box()


def pad_at(page, fx: float, fy: float) -> tuple[float, float]:
    """A point on the pad, as fractions of its width and height."""
    box = pad_box(page)
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def pad_ink(page, fx: float, fy: float, radius: int = 3) -> int:
    """How many canvas pixels near a point are drawn on (not transparent)."""
    return page.evaluate(
        """([fx, fy, r]) => {
            const c = document.getElementById('pad');
            const x = Math.round(fx * c.width), y = Math.round(fy * c.height);
            const d = c.getContext('2d').getImageData(x - r, y - r, 2 * r + 1, 2 * r + 1).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }""",
        [fx, fy, radius],
    )


def sheet(server) -> dict:
    with urllib.request.urlopen(server.http + "/projector/sheet/", timeout=10) as response:
        return json.loads(response.read())


def wall_segments(server, client: str) -> list[dict]:
    """Every stored segment of one phone, as {stroke, key, points}."""
    found = []
    for stroke in sheet(server)["strokes"]:
        if stroke["stroke"].split(":")[0] != client:
            continue
        for segment in stroke["segments"]:
            found.append({"stroke": stroke["stroke"], **segment})
    return found


def settled(page) -> bool:
    """Everything the phone drew is acknowledged."""
    return page.evaluate("window.phone.outbox === 0")


def wall_has_everything_drawn(page, server, what: str) -> list[dict]:
    """Wait until the phone's messages are acknowledged and every point it drew is in
    the stored sheet; the phone's segments there."""
    client = page.evaluate("window.phone.client")
    wait_for(lambda: settled(page), 10, "the phone's messages to be acknowledged")
    drawn = page.evaluate("window.phone.drawn")
    return wait_for(
        lambda: (
            (found := wall_segments(server, client))
            and sum(len(s["points"]) for s in found) == drawn
            and found
        ),
        10,
        what,
    )
