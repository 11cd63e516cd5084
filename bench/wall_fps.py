"""The wall's own frame rate: /projector/ in headless Chromium, counting
requestAnimationFrame callbacks a second, idle and while the crowd draws."""

from __future__ import annotations

import contextlib
import os
import time

from bench.parts import CHROMIUM, CHROMIUM_ARGS

COUNT_FRAMES = """(ms) => new Promise((resolve) => {
  let frames = 0, worst = 0, last = performance.now();
  const began = last;
  function tick(now) {
    frames += 1;
    worst = Math.max(worst, now - last);
    last = now;
    if (now - began < ms) requestAnimationFrame(tick);
    else resolve({frames, seconds: (now - began) / 1000, worst_ms: worst});
  }
  requestAnimationFrame(tick);
})"""

DESCRIBE = """() => ({
  canvases: document.querySelectorAll('canvas').length,
  p5: typeof window.p5 !== 'undefined',
  title: document.title,
  bytes: document.documentElement.outerHTML.length,
})"""


def chromium_available() -> bool:
    if not os.path.exists(CHROMIUM):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _count(page, seconds: float) -> dict:
    result = page.evaluate(COUNT_FRAMES, int(seconds * 1000))
    result["fps"] = round(result["frames"] / max(result["seconds"], 1e-6), 1)
    result["worst_ms"] = round(result["worst_ms"], 1)
    return result


def measure(url: str, window, ready) -> dict:
    """Open the wall, count frames idle, then under load in the window the coordinator
    sends (start_at, stop_at) on `window` once the browser is up."""
    from playwright.sync_api import sync_playwright

    report: dict = {"url": url}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            console: list[str] = []
            page.on("pageerror", lambda error: console.append(str(error)[:200]))
            page.goto(url, wait_until="load", timeout=30_000)
            time.sleep(0.5)
            report["idle"] = _count(page, 1.5)
            ready.set()
            start_at, stop_at = window.get(timeout=120)
            time.sleep(max(0.0, start_at + 0.3 - time.time()))
            report["load"] = _count(page, max(0.5, stop_at - time.time()))
            report["page"] = page.evaluate(DESCRIBE)
            report["page_errors"] = console[:5]
        finally:
            browser.close()
    return report


def fps_process(url: str, window, ready, results) -> None:
    """Entry point of the browser's process."""
    try:
        results.put(measure(url, window, ready))
    except Exception as error:
        ready.set()
        with contextlib.suppress(Exception):
            results.put({"url": url, "error": repr(error)[:300]})
