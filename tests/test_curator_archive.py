"""The archive as a gallery: thumbnails with date, stroke and phone counts, downloads,
replay links, and the timelapse film (it decodes; its frame count matches its
duration)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageSequence

from core.sheets import sheet_current
from projector import moderation, timelapse
from projector.models import Timelapse
from projector.timelapse import TimelapseError, timelapse_render, timelapse_webp
from tests.test_curator_admin import draw

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def announced(monkeypatch):
    calls: list[tuple[dict, ...]] = []
    monkeypatch.setattr(
        moderation, "announce", lambda *messages, **details: calls.append(messages) or True
    )
    return calls


@pytest.fixture
def render_here(monkeypatch):
    """Render in this process (the test database), not in a child process."""
    monkeypatch.setattr(timelapse, "timelapse_launch", lambda job: timelapse_render(job_id=job))


def film(data: bytes) -> tuple[int, int, tuple[int, int]]:
    """(frames, total duration in ms, size) of an animated WebP, decoded by Pillow."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    durations = []
    for frame in ImageSequence.Iterator(image):
        frame.load()  # decodes the frame, and with it its duration
        durations.append(frame.info["duration"])
    assert len(durations) == image.n_frames
    return image.n_frames, sum(durations), image.size


def test_the_archive_is_a_gallery(admin_client, announced):
    first = sheet_current()
    draw(first, "d_alice", "alice", strokes=3)
    draw(first, "d_bob", "bob", strokes=2)
    moderation.exhibit_reset()
    draw(sheet_current(), "d_carol", "carol", strokes=1)
    page = admin_client.get(reverse("admin:core_sheet_changelist")).content.decode()
    assert page.count('class="gallery-card"') == 2
    assert reverse("admin:sheet-thumbnail", args=[first.pk]) in page
    card = page.split(f'data-sheet="{first.pk}"')[1].split('class="gallery-card"')[0]
    assert '<strong class="stroke-count">5</strong> strokes' in card
    assert '<strong class="phone-count">2</strong> phones' in card
    assert first.started_at.strftime("%Y") in card
    assert reverse("admin:sheet-svg", args=[first.pk]) in card
    assert reverse("admin:sheet-png", args=[first.pk]) in card
    assert f"?replay={first.pk}&amp;speed=16" in card
    assert reverse("admin:sheet-timelapse", args=[first.pk]) in card
    thumb = admin_client.get(reverse("admin:sheet-thumbnail", args=[first.pk]))
    assert thumb["Content-Type"] == "image/svg+xml" and thumb.content.count(b"<path") == 5


def test_the_timelapse_decodes_and_its_frames_match_its_duration():
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=4, segments=5)
    seen = []
    data = timelapse_webp(
        sheet=sheet, seconds=3, fps=10, width=320, progress=lambda i, n: seen.append((i, n))
    )
    frames, duration, size = film(data)
    assert (frames, duration) == (30, 3000)
    assert size == (320, 180)
    assert seen[-1] == (30, 30) and len(seen) == 30
    image = Image.open(io.BytesIO(data))
    image.seek(0)
    first = image.convert("RGB")
    image.seek(frames - 1)
    last = image.convert("RGB")

    def count(picture: Image.Image) -> int:
        """Pixels of the stroke's colour, #f94144 (or near it)."""
        colours = picture.getcolors(picture.width * picture.height)
        return sum(n for n, (r, g, b) in colours if r > 200 and g < 110 and b < 110)

    assert count(last) > count(first), "the picture grows over the film"


@pytest.mark.parametrize("seconds, fps", [(2, 5), (6, 20), (4, 25)])
def test_frame_count_follows_length_and_rate(seconds, fps):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=1, segments=2)
    frames, duration, _ = film(timelapse_webp(sheet=sheet, seconds=seconds, fps=fps, width=160))
    assert (frames, duration) == (seconds * fps, seconds * 1000)


def test_an_empty_sheet_still_makes_a_film():
    frames, duration, _ = film(timelapse_webp(sheet=sheet_current(), seconds=2, fps=5))
    assert (frames, duration) == (10, 2000)


def test_refused_shapes_are_explained():
    with pytest.raises(TimelapseError, match="frames a second is not offered"):
        timelapse_webp(sheet=sheet_current(), seconds=2, fps=7)


def test_the_admin_makes_a_timelapse_with_progress(admin_client, render_here):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=2)
    response = admin_client.post(
        reverse("admin:sheet-timelapse", args=[sheet.pk]),
        {"seconds": "2", "fps": "5"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 202
    job = response.json()
    status = admin_client.get(reverse("admin:timelapse-status", args=[job["id"]])).json()
    assert status["status"] == "done" and status["progress"] == 1.0 and status["frames"] == 10
    download = admin_client.get(status["file"])
    assert download["Content-Type"] == "image/webp"
    assert "attachment" in download["Content-Disposition"]
    assert film(download.content)[:2] == (10, 2000)
    page = admin_client.get(reverse("admin:core_sheet_changelist")).content.decode()
    assert reverse("admin:timelapse-file", args=[job["id"]]) in page
    refused = admin_client.post(
        reverse("admin:sheet-timelapse", args=[sheet.pk]),
        {"seconds": "60", "fps": "25"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400 and "the most is 600" in refused.json()["error"]
    assert admin_client.get(reverse("admin:sheet-timelapse", args=[sheet.pk])).status_code == 405


def test_a_silent_render_reads_as_failed(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    job = Timelapse.objects.create(sheet=sheet_current(), status=Timelapse.RENDERING)
    Timelapse.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    status = admin_client.get(reverse("admin:timelapse-status", args=[job.pk])).json()
    assert status["status"] == "failed"
    missing = admin_client.get(reverse("admin:timelapse-file", args=[job.pk]))
    assert missing.status_code == 404


def test_timelapse_views_need_a_staff_login(client):
    sheet = sheet_current()
    for url in (
        reverse("admin:sheet-thumbnail", args=[sheet.pk]),
        reverse("admin:timelapse-status", args=[1]),
        reverse("admin:timelapse-file", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
