"""Screenshots of the phone (portrait and landscape) and the wall for the README.

Runs the real server (the Procfile's web line, a scratch SQLite database), Debian's
Chromium through Playwright, and real touch events; three visitors draw, and the
pictures land in docs/screenshots/. Run from the repository's root:

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.parts import CHROMIUM_ARGS, Server, chromium_path, wait_for  # noqa: E402
from tests.phone_pad import Touch, pad_box, settled  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WALL = {"width": 1280, "height": 720}


def phone(browser, devices, server, profile: str):
    options = dict(devices[profile], device_scale_factor=2)
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(server.http + "/")
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    return page


def draw(page, path: list[tuple[float, float]]) -> None:
    """One stroke along `path` (fractions of the pad), with real touch events."""
    box = pad_box(page)
    touch = Touch(page)
    points = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in path]
    touch.send("touchStart", [points[0]])
    for point in points[1:]:
        touch.send("touchMove", [point])
    touch.send("touchEnd", [])


def wave(y: float, amplitude: float, turns: float, x0=0.08, x1=0.62, n=40):
    return [
        (x0 + (x1 - x0) * i / n, y + amplitude * math.sin(turns * 2 * math.pi * i / n))
        for i in range(n + 1)
    ]


def spiral(cx: float, cy: float, r: float, turns: float = 2.5, n=70):
    aspect = 16 / 9
    return [
        (
            cx + r * (i / n) * math.cos(turns * 2 * math.pi * i / n) / aspect,
            cy + r * (i / n) * math.sin(turns * 2 * math.pi * i / n),
        )
        for i in range(n + 1)
    ]


def sun(cx: float, cy: float, r: float):
    aspect = 16 / 9
    strokes = [
        [
            (cx + r * math.cos(a) / aspect, cy + r * math.sin(a))
            for a in [2 * math.pi * i / 36 for i in range(37)]
        ]
    ]
    for k in range(10):
        a = 2 * math.pi * k / 10
        strokes.append(
            [
                (cx + 1.3 * r * math.cos(a) / aspect, cy + 1.3 * r * math.sin(a)),
                (cx + 1.8 * r * math.cos(a) / aspect, cy + 1.8 * r * math.sin(a)),
            ]
        )
    return strokes


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    server = Server()
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
            )
            devices = playwright.devices
            wall = browser.new_page(viewport=WALL)
            wall.goto(server.http + "/projector/")
            wall.wait_for_function(
                "window.wall && window.wall.ready && window.wall.state.connection === 'live'",
                timeout=15000,
            )
            upright = phone(browser, devices, server, "Pixel 7")
            sideways = phone(browser, devices, server, "Pixel 7 landscape")
            third = phone(browser, devices, server, "iPhone 13 landscape")
            for stroke in sun(0.78, 0.3, 0.12):
                draw(sideways, stroke)
            for i, y in enumerate((0.55, 0.7, 0.85)):
                draw(upright, wave(y, 0.05, 1.5 + i * 0.5))
            draw(third, spiral(0.3, 0.3, 0.22))
            draw(third, wave(0.9, 0.03, 3, x0=0.55, x1=0.95))
            for page in (upright, sideways, third):
                wait_for(lambda page=page: settled(page), 15, "the strokes acknowledged")
            wall.wait_for_timeout(1500)
            upright.screenshot(path=str(OUT / "phone-portrait.png"))
            sideways.screenshot(path=str(OUT / "phone-landscape.png"))
            wall.screenshot(path=str(OUT / "wall.png"))
            browser.close()
    finally:
        server.close()
    for name in ("phone-portrait.png", "phone-landscape.png", "wall.png"):
        print(OUT / name)


if __name__ == "__main__":
    main()
