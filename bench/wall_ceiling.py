"""The wall page's own ceiling: how many points a second /projector/ renders while
keeping 55 frames a second, in headless Chromium at 1920x1080.

Phones cannot find this ceiling on one machine (the server saturates first), so the
frames come from the benchmark itself, published on the channel layer exactly as a
Mixer of another process publishes them: the installation's wall consumer forwards
them, and the page (wall.js, sync.js, pen.js, p5) handles them as live frames.
The rate rises step by step; the ceiling is the highest rate still at 55 fps. The
default wall budget (points per tick, shared by every process) is set from it.

    python -m bench.wall_ceiling [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.parts import CHROMIUM, CHROMIUM_ARGS
from bench.systems import Installation, cleanup
from bench.wall_fps import COUNT_FRAMES

TARGET_FPS = 55
TICK = 0.025  # the Mixer's tick: one frame per process per tick
STEPS = [4_000, 16_000, 32_000, 64_000, 96_000, 128_000, 160_000, 192_000, 256_000, 384_000]
QUICK_STEPS = [2_000, 16_000]
STROKES = 40  # strokes drawn at once: a busy room
GROUP = "projector"  # core.frames.PROJECTOR_GROUP (kept literal: bench imports no app)
WALL_COUNTERS = """() => ({
  frames: window.wall.stats.framesApplied,
  points: window.wall.state.pointsPerSecond,
})"""


@dataclass
class Step:
    points_per_second: int
    fps: float
    worst_ms: float
    drawn_per_second: int  # points the page says it drew a second (its status counter)
    frames_applied: int  # frames the page applied in the step: proof the frames arrived


class FrameSource:
    """Frames in the wire protocol's shape, from STROKES random walks: each tick every
    stroke gets its share of the points, and a stroke ends and a new one starts now
    and then, as visitors' fingers do."""

    def __init__(self, sheet: int, seed: int = 7) -> None:
        self.sheet = sheet
        self.rng = random.Random(seed)
        self.origin = f"bench{self.rng.randrange(16**6):06x}"
        self.seq = 0
        self.strokes: list[dict] = []
        self.next_stroke = 0
        for _ in range(STROKES):
            self.strokes.append(self._new_stroke())

    def _new_stroke(self) -> dict:
        self.next_stroke += 1
        return {
            "id": self.next_stroke,
            "seg": 0,
            "x": self.rng.random(),
            "y": self.rng.random(),
            "heading": self.rng.random() * math.tau,
            "color": f"#{self.rng.randrange(0x1000000):06x}",
            "left": self.rng.randrange(60, 400),
        }

    def frame(self, points: int) -> str:
        self.seq += 1
        each = max(1, points // len(self.strokes))
        segments = []
        for index, stroke in enumerate(self.strokes):
            path = []
            for _ in range(each):
                stroke["heading"] += self.rng.uniform(-0.35, 0.35)
                stroke["x"] = min(1.0, max(0.0, stroke["x"] + 0.004 * math.cos(stroke["heading"])))
                stroke["y"] = min(1.0, max(0.0, stroke["y"] + 0.004 * math.sin(stroke["heading"])))
                path.append([round(stroke["x"], 4), round(stroke["y"], 4)])
            stroke["seg"] += 1
            stroke["left"] -= each
            end = stroke["left"] <= 0
            client = f"bench{stroke['id'] % 1000:04d}"
            segments.append(
                {
                    "key": f"{client}:{self.seq}:{stroke['seg']}",
                    "stroke": f"{client}:{stroke['id']}",
                    "device": f"d_bench{index}",
                    "color": stroke["color"],
                    "width": 0.006,
                    "points": path,
                    "start": stroke["seg"] == 1,
                    "end": end,
                }
            )
            if end:
                self.strokes[index] = self._new_stroke()
        return json.dumps(
            {
                "type": "frame",
                "origin": self.origin,
                "seq": self.seq,
                "sheet": self.sheet,
                "time": int(time.time() * 1000),
                "segments": segments,
            },
            separators=(",", ":"),
        )


async def publish(redis_url: str, source: FrameSource, rate: int, seconds: float) -> None:
    """One frame per tick at `rate` points a second, on the wall group."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[redis_url])
    loop = asyncio.get_running_loop()
    per_tick = max(1, round(rate * TICK))
    began = loop.time()
    ticks = 0
    try:
        while loop.time() - began < seconds:
            message = {
                "type": "wall.frame",
                "texts": [source.frame(per_tick)],
                "origin": source.origin,
            }
            await layer.group_send(GROUP, message)
            ticks += 1
            await asyncio.sleep(max(0.0, began + ticks * TICK - loop.time()))
    finally:
        await layer.flush()


def current_sheet(http: str) -> int:
    with urllib.request.urlopen(f"{http}/projector/sheet/", timeout=10) as answer:
        return int(json.load(answer)["sheet"])


def _step(page, redis_url: str, source: FrameSource, rate: int, seconds: float) -> Step:
    """Frames at `rate` for `seconds`; the page counts its animation frames meanwhile."""
    before = page.evaluate(WALL_COUNTERS)["frames"]
    publisher = threading.Thread(
        target=asyncio.run, args=(publish(redis_url, source, rate, seconds + 1.0),)
    )
    publisher.start()
    time.sleep(0.7)  # let the frames flow before counting
    counted = page.evaluate(COUNT_FRAMES, int((seconds - 0.5) * 1000))
    drawn = page.evaluate(WALL_COUNTERS)
    publisher.join()
    fps = counted["frames"] / max(counted["seconds"], 1e-6)
    return Step(
        points_per_second=rate,
        fps=round(fps, 1),
        worst_ms=round(counted["worst_ms"], 1),
        drawn_per_second=drawn["points"],
        frames_applied=drawn["frames"] - before,
    )


def measure(http: str, redis_url: str, steps: list[int], seconds: float, tries: int) -> list[Step]:
    """Each rate `tries` times, keeping the try with the most frames a second: on a
    shared machine a neighbour's burst lowers one try, never raises one, so the best
    try is the nearest to what the page itself can do."""
    from playwright.sync_api import sync_playwright

    source = FrameSource(current_sheet(http))
    results: list[Step] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{http}/projector/", wait_until="load", timeout=30_000)
            page.wait_for_function("window.wall && window.wall.ready", timeout=15_000)
            time.sleep(1.0)
            for rate in steps:
                step = max(
                    (_step(page, redis_url, source, rate, seconds) for _ in range(tries)),
                    key=lambda each: each.fps,
                )
                results.append(step)
                print(
                    f"  {rate:>7} points/s sent: {step.fps:5.1f} fps (best of {tries}), "
                    f"worst frame "
                    f"{step.worst_ms:.0f} ms, drawn {step.drawn_per_second} points/s",
                    flush=True,
                )
                if step.fps < TARGET_FPS and len(results) >= 2 and results[-2].fps < TARGET_FPS:
                    break  # two steps below the line: the ceiling is behind us
        finally:
            browser.close()
    return results


def ceiling(results: list[Step]) -> int:
    """The highest rate at TARGET_FPS or more below which every step held too."""
    best = 0
    for step in results:
        if step.fps < TARGET_FPS:
            break
        best = step.points_per_second
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two short steps (a smoke test)")
    parser.add_argument("--out", default="bench/results", help="where wall_ceiling.json goes")
    args = parser.parse_args(argv)
    steps, seconds, tries = (QUICK_STEPS, 2.0, 1) if args.quick else (STEPS, 5.0, 3)

    system = Installation(workers=1, layer="pubsub")
    system.start()
    try:
        print(
            f"wall ceiling: {system.http}/projector/ at 1920x1080, {TARGET_FPS} fps wanted",
            flush=True,
        )
        results = measure(system.http, system.redis_url, steps, seconds, tries)
    finally:
        system.stop()
        cleanup()
    top = ceiling(results)
    report = {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "target_fps": TARGET_FPS,
        "steps": [asdict(step) for step in results],
        "ceiling_points_per_second": top,
        "budget_per_tick_at_ceiling": int(top * TICK),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "wall_ceiling.json").write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"ceiling: {top} points/s at {TARGET_FPS}+ fps"
        f" = {report['budget_per_tick_at_ceiling']} points a tick",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
