"""A sheet as a timelapse film a gallery can post: an animated WebP made with Pillow.

The film lasts `seconds` at `fps` frames a second, so it has exactly seconds × fps
frames whatever the sheet's own length: frame i shows every stroke accepted in the
first (i + 1) / frames of the sheet's time. A thin bar along the bottom grows with
the time, so no two frames are alike (WebP encoders fold identical frames into one)
and a viewer sees how far the day has gone.

Rendering takes seconds of CPU: the admin starts it in a low-priority child process
(`manage.py timelapse_render <id>`), never on the server's event loop, and the row
carries its progress for the page's progress bar and, at the end, the file.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw

from core.models import Sheet
from core.sheets import sheet_canvas
from projector.models import Timelapse
from projector.replay import sheet_replay

log = logging.getLogger(__name__)

SECONDS, MIN_SECONDS, MAX_SECONDS = 12, 2, 60
FPS = 10
FPS_CHOICES = (5, 10, 20, 25)  # whole milliseconds a frame: the film's length is exact
WIDTH, MIN_WIDTH, MAX_WIDTH = 640, 160, 1280
MAX_FRAMES = 600  # memory: each frame is kept (one byte a pixel) until encoding
BAR_HEIGHT = 3
BAR_COLOUR = "#888888"
PROGRESS_EVERY = 0.4  # seconds between progress writes
STALE = timedelta(seconds=90)  # a render not heard of for this long has died


class TimelapseError(Exception):
    """A film that cannot be made as asked (sizes out of range)."""


def timelapse_shape(*, seconds: int, fps: int, width: int) -> tuple[int, int, int]:
    """Clamp the film's length, rate and width; (seconds, fps, width)."""
    seconds = max(MIN_SECONDS, min(MAX_SECONDS, int(seconds)))
    fps = int(fps)
    if fps not in FPS_CHOICES:
        raise TimelapseError(
            f"{fps} frames a second is not offered: choose "
            + ", ".join(str(f) for f in FPS_CHOICES)
            + "."
        )
    width = max(MIN_WIDTH, min(MAX_WIDTH, int(width)))
    if seconds * fps > MAX_FRAMES:
        raise TimelapseError(
            f"{seconds} s at {fps} frames a second is {seconds * fps} frames; "
            f"the most is {MAX_FRAMES}."
        )
    return seconds, fps, width


def _events(sheet: Sheet) -> tuple[int, list[tuple[int, str, str, float, list]]]:
    """The sheet's duration (ms) and its segments in time order: (t, stroke, colour,
    width, points); each segment's points continue from its stroke's last point."""
    replay = sheet_replay(sheet=sheet)
    events = []
    for stroke in replay["strokes"]:
        for segment in stroke["segments"]:
            if segment["points"]:
                events.append(
                    (segment["t"], stroke["stroke"], stroke["color"], stroke["width"], segment)
                )
    events.sort(key=lambda event: event[0])  # stable: drawing order within a moment
    return replay["duration"], [(t, k, c, w, s["points"]) for t, k, c, w, s in events]


def timelapse_webp(
    *,
    sheet: Sheet,
    seconds: int = SECONDS,
    fps: int = FPS,
    width: int = WIDTH,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The sheet as an animated WebP of exactly seconds × fps frames."""
    seconds, fps, width = timelapse_shape(seconds=seconds, fps=fps, width=width)
    aspect, background = sheet_canvas(sheet=sheet)
    height = max(BAR_HEIGHT + 1, round(width / aspect))
    duration, events = _events(sheet)
    frames_total = seconds * fps
    frame_ms = 1000 // fps

    colours = list(dict.fromkeys([background, BAR_COLOUR, *(event[2] for event in events)]))
    paletted = len(colours) <= 256
    if paletted:  # one byte a pixel: 150 frames of 640 × 360 are 35 MB, not 100
        canvas = Image.new("P", (width, height), 0)
        flat = []
        for colour in colours:
            flat += [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        canvas.putpalette(flat)
        index = {colour: i for i, colour in enumerate(colours)}

        def ink(colour: str) -> int | str:
            return index[colour]
    else:
        canvas = Image.new("RGB", (width, height), background)

        def ink(colour: str) -> int | str:
            return colour

    draw = ImageDraw.Draw(canvas)
    last_point: dict[str, tuple[float, float]] = {}
    frames: list[Image.Image] = []
    next_event = 0
    for frame in range(frames_total):
        cutoff = duration * (frame + 1) / frames_total
        while next_event < len(events) and events[next_event][0] <= cutoff:
            _, stroke, colour, stroke_width, points = events[next_event]
            line = [(p[0] * width, p[1] * height) for p in points]
            if stroke in last_point:
                line.insert(0, last_point[stroke])
            last_point[stroke] = line[-1]
            pixels = max(1, round(stroke_width * width))
            if len(line) > 1:
                draw.line(line, fill=ink(colour), width=pixels, joint="curve")
            radius = pixels / 2
            for x, y in (line[0], line[-1]):  # round caps
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink(colour))
            next_event += 1
        # The time bar: one more step every frame, so every frame differs.
        bar = round(width * (frame + 1) / frames_total)
        draw.rectangle((0, height - BAR_HEIGHT, max(0, bar - 1), height - 1), fill=ink(BAR_COLOUR))
        frames.append(canvas.copy())
        if progress is not None:
            progress(frame + 1, frames_total)
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=frame_ms,
        loop=0,
        # Line art on a flat ground: lossless is exact and, measured on 40,000
        # segments (120 frames at 640 px), 0.4 MB against 3.5 MB lossy, in the same time.
        lossless=True,
        quality=80,
        method=4,
    )
    return buffer.getvalue()


# -- jobs -------------------------------------------------------------------------------


def timelapse_start(
    *, sheet: Sheet, seconds: int = SECONDS, fps: int = FPS, width: int = WIDTH
) -> Timelapse:
    """Queue a film of the sheet and start rendering it in a child process."""
    seconds, fps, width = timelapse_shape(seconds=seconds, fps=fps, width=width)
    job = Timelapse.objects.create(sheet=sheet, seconds=seconds, fps=fps, width=width)
    timelapse_launch(job.pk)
    return job


def _launch_child(job_id: int) -> None:
    """`manage.py timelapse_render <id>` at low priority, reaped by a thread."""
    command = [
        sys.executable,
        str(settings.BASE_DIR / "manage.py"),
        "timelapse_render",
        str(job_id),
    ]
    nice = shutil.which("nice")
    if nice:
        command = [nice, "-n", "15", *command]
    child = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
    )
    threading.Thread(target=child.wait, name=f"timelapse-{job_id}", daemon=True).start()


# The tests replace this to render in their own process and database.
timelapse_launch: Callable[[int], None] = _launch_child


def timelapse_render(*, job_id: int) -> Timelapse:
    """Render a queued film, writing its progress as it goes (the child's work)."""
    job = Timelapse.objects.select_related("sheet").get(pk=job_id)
    Timelapse.objects.filter(pk=job.pk).update(status=Timelapse.RENDERING, progress=0.0)
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            Timelapse.objects.filter(pk=job.pk).update(
                progress=round(done / total * 0.95, 3), updated_at=timezone.now()
            )

    try:
        data = timelapse_webp(
            sheet=job.sheet, seconds=job.seconds, fps=job.fps, width=job.width, progress=progress
        )
    except Exception as error:
        log.exception("timelapse %d failed", job.pk)
        Timelapse.objects.filter(pk=job.pk).update(
            status=Timelapse.FAILED, error=repr(error)[:200], updated_at=timezone.now()
        )
        raise
    Timelapse.objects.filter(pk=job.pk).update(
        status=Timelapse.DONE,
        progress=1.0,
        frames=job.seconds * job.fps,
        data=data,
        updated_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def timelapse_status(job: Timelapse) -> dict:
    """What the page's progress bar reads; a render silent for too long has died."""
    status = job.status
    if status in (Timelapse.QUEUED, Timelapse.RENDERING) and (
        timezone.now() - job.updated_at > STALE
    ):
        status = Timelapse.FAILED
    return {
        "id": job.pk,
        "sheet": job.sheet_id,
        "status": status,
        "progress": job.progress,
        "seconds": job.seconds,
        "fps": job.fps,
        "frames": job.seconds * job.fps,
        "error": job.error,
    }
