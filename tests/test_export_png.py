"""The PNG export is as clean as the SVG (issue 14): anti-aliased, no dark notches
where the pieces of a stroke meet, and close to Chromium's rendering of the SVG
export of the same strokes."""

from __future__ import annotations

import base64
import io
import math
import time

import numpy as np
import pytest
from PIL import Image

from projector.export import StoredStroke, strokes_png, strokes_svg

WIDTH, HEIGHT = 960, 540
BACKGROUND = "#111111"


def sample_strokes() -> list[StoredStroke]:
    """Fast, wavy, crossing strokes of every brush size, as visitors draw them."""
    strokes = []
    colors = ["#f94144", "#f9c74f", "#43aa8b", "#277da1", "#f15bb5", "#ffffff"]
    for i, width in enumerate([0.003, 0.006, 0.012, 0.024, 0.006, 0.012]):
        points = []
        for k in range(60):
            t = k / 59
            points.append(
                (
                    0.08 + 0.84 * t,
                    0.12 + 0.14 * i + 0.06 * math.sin(t * math.pi * (3 + i)),
                )
            )
        strokes.append(StoredStroke(f"c:{i}", colors[i], width, points))
    # A zigzag with sharp turns (the old export's notches were worst there), a tap.
    zigzag = [(0.1 + 0.04 * k, 0.5 + (0.25 if k % 2 else 0)) for k in range(20)]
    strokes.append(StoredStroke("c:z", "#90be6d", 0.012, zigzag))
    strokes.append(StoredStroke("c:t", "#9b5de5", 0.024, [(0.9, 0.9)]))
    return strokes


def png_array(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def test_a_thick_wavy_stroke_has_no_notch_along_its_middle():
    points = [(0.1 + 0.8 * k / 79, 0.5 + 0.2 * math.sin(k / 79 * 6 * math.pi)) for k in range(80)]
    stroke = StoredStroke("c:1", "#f94144", 0.024, points)
    image = png_array(strokes_png([stroke], width=WIDTH, height=HEIGHT, background=BACKGROUND))
    # Along the curve the pixels are the stroke's colour, exactly: nothing darker
    # where two pieces meet.
    from projector.export import _flatten

    line = _flatten(points, WIDTH, HEIGHT)
    red = np.array([0xF9, 0x41, 0x44])
    worst = max(
        int(np.abs(image[round(y), round(x)] - red).max())
        for x, y in line[1:-1]
        if 0 <= round(x) < WIDTH and 0 <= round(y) < HEIGHT
    )
    assert worst <= 2, worst


def test_edges_are_anti_aliased():
    stroke = StoredStroke("c:1", "#ffffff", 0.02, [(0.1, 0.1), (0.9, 0.9)])
    image = png_array(strokes_png([stroke], width=WIDTH, height=HEIGHT, background="#000000"))
    values = set(np.unique(image[..., 0]).tolist())
    assert len(values) > 10, "intermediate shades on the edges, not just two levels"


def test_a_big_export_is_drawn_in_bands_in_reasonable_time():
    started = time.monotonic()
    data = strokes_png(sample_strokes() * 5, width=3840, height=2160, background=BACKGROUND)
    assert Image.open(io.BytesIO(data)).size == (3840, 2160)
    assert time.monotonic() - started < 60


@pytest.mark.browser
def test_the_png_matches_chromiums_rendering_of_the_svg(browser):
    strokes = sample_strokes()
    svg = strokes_svg(strokes, width=WIDTH, height=HEIGHT, background=BACKGROUND)
    ours = png_array(strokes_png(strokes, width=WIDTH, height=HEIGHT, background=BACKGROUND))
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    page.set_content(
        f'<body style="margin:0"><img src="{source}" width="{WIDTH}" height="{HEIGHT}"'
        ' style="display:block"></body>'
    )
    page.wait_for_function("document.images[0].complete")
    chromium = png_array(page.screenshot(clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT}))
    page.close()
    difference = np.abs(ours - chromium).max(axis=2)
    mean = float(difference.mean())
    off = float((difference > 64).mean())
    print(f"\nPNG vs Chromium's SVG: mean difference {mean:.3f}, pixels off by >64: {off:.4%}")
    assert mean < 1.5, mean
    assert off < 0.003, off
