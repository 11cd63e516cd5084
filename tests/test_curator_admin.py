"""The curator's admin through Django's test client: reset, pause, remove a
visitor's strokes, block, settings, export, replay, the Wall now page."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from core.models import Device, Exhibit, Segment, Sheet
from core.sheets import sheet_current
from curator.exhibit_admin import EXHIBIT_EDITABLE
from projector import moderation
from projector.export import export_strokes

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db,
    # whitenoise warns when collectstatic has not run; the admin tests do not need it.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def announced(monkeypatch):
    """What the services announce to processes and walls (after commit)."""
    calls: list[tuple[dict, ...]] = []
    monkeypatch.setattr(
        moderation, "announce", lambda *messages, **details: calls.append(messages) or True
    )
    return calls


def draw(sheet: Sheet, device: str, client: str, strokes: int = 2, segments: int = 3) -> int:
    """Store `strokes` strokes of `segments` segments each, as the writer would."""
    seq = Segment.objects.filter(client=client).count()
    rows = []
    for stroke in range(1, strokes + 1):
        for i in range(segments):
            seq += 1
            rows.append(
                Segment(
                    sheet=sheet,
                    device=device,
                    client=client,
                    seq=seq,
                    stroke=stroke,
                    color="#f94144",
                    width=0.006,
                    points=[[0.1 * stroke, 0.1 + 0.01 * i], [0.1 * stroke + 0.01, 0.12 + 0.01 * i]],
                    is_start=i == 0,
                    is_end=i == segments - 1,
                    origin="test",
                    frame_seq=seq,
                    created_at=T0 + timedelta(milliseconds=100 * seq),
                )
            )
    Segment.objects.bulk_create(rows)
    Device.objects.get_or_create(id=device)
    return len(rows)


def test_reset_archives_the_sheet_and_starts_a_new_one(
    admin_client, announced, django_capture_on_commit_callbacks
):
    old = sheet_current()
    draw(old, "d_alice", "alice")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:sheet-reset"))
    assert response.status_code == 302
    old.refresh_from_db()
    new = sheet_current()
    assert old.ended_at is not None and new.pk != old.pk and new.ended_at is None
    assert Segment.objects.filter(sheet=old).count() == 6, "the archive keeps its strokes"
    assert announced == [({"type": "reset", "sheet": new.pk},)]


def test_reset_needs_post_staff_and_csrf(client, admin_user, announced):
    sheet = sheet_current()
    assert client.post(reverse("admin:sheet-reset")).status_code == 302  # to the login page
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_user)
    assert csrf_client.post(reverse("admin:sheet-reset")).status_code == 403
    assert csrf_client.get(reverse("admin:sheet-reset")).status_code == 405
    assert sheet_current().pk == sheet.pk
    assert announced == []


def test_a_staff_member_without_permissions_cannot_act(client, django_user_model, announced):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(user)
    sheet = sheet_current()
    assert client.post(reverse("admin:sheet-reset")).status_code == 403
    assert client.post(reverse("admin:exhibit-pause")).status_code == 403
    assert sheet_current().pk == sheet.pk and not Exhibit.load().paused


def test_pause_and_resume(admin_client, announced, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:exhibit-pause"), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert Exhibit.load().paused
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:exhibit-resume"), {"next": "https://evil.example/"}
        )
    assert response["Location"] == reverse("admin:core_exhibit_changelist")
    assert not Exhibit.load().paused
    assert len(announced) == 2  # each made every process re-read the exhibit


def test_remove_a_visitors_strokes_hides_exactly_theirs(
    admin_client, announced, django_capture_on_commit_callbacks
):
    archived = sheet_current()
    draw(archived, "d_alice", "alice-old")
    moderation.sheet_reset()
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice")
    draw(sheet, "d_bob", "bob")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:core_device_changelist"),
            {"action": "remove_strokes", "_selected_action": ["d_alice"]},
        )
    assert response.status_code == 302
    hidden = Segment.objects.filter(removed=True)
    assert set(hidden.values_list("client", flat=True)) == {"alice"}
    assert hidden.count() == 6
    assert Segment.objects.filter(sheet=archived, removed=False).count() == 6
    assert {s.key.split(":")[0] for s in export_strokes(sheet=sheet)} == {"bob"}
    assert Segment.objects.count() == 18, "removed segments are hidden, never deleted"
    assert announced == [({"type": "redraw", "sheet": sheet.pk, "reason": "removed"},)]


def test_block_and_unblock(admin_client, announced, django_capture_on_commit_callbacks):
    draw(sheet_current(), "d_alice", "alice")
    draw(sheet_current(), "d_bob", "bob")
    url = reverse("admin:core_device_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "block", "_selected_action": ["d_alice"]})
    assert set(Device.objects.filter(blocked=True).values_list("id", flat=True)) == {"d_alice"}
    from core.exhibit import exhibit_snapshot_load

    assert exhibit_snapshot_load().blocked == {"d_alice"}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "unblock", "_selected_action": ["d_alice"]})
    assert not Device.objects.filter(blocked=True).exists()
    assert len(announced) == 2
    page = admin_client.get(url).content.decode()
    assert "d_alice" in page and "d_bob" in page and "#f94144" in page


def exhibit_form(**changes) -> dict:
    exhibit = Exhibit.load()
    data = {
        name: getattr(exhibit, name)
        for name in EXHIBIT_EDITABLE
        if name not in ("palette", "brushes")  # JSON fields post as JSON text
    }
    data["palette"] = json.dumps(exhibit.palette)
    data["brushes"] = json.dumps(exhibit.brushes)
    data.update(changes)
    return data


def test_exhibit_change_view_saves_and_goes_live(
    admin_client, announced, django_capture_on_commit_callbacks
):
    changelist = admin_client.get(reverse("admin:core_exhibit_changelist"))
    change_url = reverse("admin:core_exhibit_change", args=[1])
    assert changelist.status_code == 302 and changelist["Location"] == change_url
    assert admin_client.get(change_url).status_code == 200
    assert admin_client.get(reverse("admin:core_exhibit_add")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url,
            exhibit_form(ink_rate=30, palette='["#112233", "#AABBCC"]', fade_seconds=60),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    exhibit = Exhibit.load()
    assert exhibit.ink_rate == 30 and exhibit.fade_seconds == 60
    assert exhibit.palette == ["#112233", "#aabbcc"]
    [(message,)] = announced
    assert message["type"] == "exhibit" and message["exhibit"]["fade_seconds"] == 60
    assert Exhibit.objects.count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"palette": '["red"]'}, {"brushes": "[0, 0.5]"}, {"aspect_ratio": 0}, {"ink_rate": -1}],
)
def test_exhibit_change_view_refuses_bad_settings(admin_client, announced, changes):
    before = Exhibit.load()
    response = admin_client.post(
        reverse("admin:core_exhibit_change", args=[1]), exhibit_form(**changes)
    )
    assert response.status_code == 200  # the form again, with its errors
    assert Exhibit.load().updated_at == before.updated_at
    assert announced == []


def test_sheet_list_counts_strokes_and_links_export_and_replay(admin_client):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=3)
    draw(sheet, "d_bob", "bob", strokes=2)
    page = admin_client.get(reverse("admin:core_sheet_changelist")).content.decode()
    assert "Reset the wall" in page
    assert reverse("admin:sheet-svg", args=[sheet.pk]) in page
    assert f"/projector/?replay={sheet.pk}&amp;speed=16" in page
    for order in ("", "?o=4", "?o=-5"):  # sorted by the counts, too
        listed = admin_client.get(reverse("admin:core_sheet_changelist") + order).context
        [row] = [s for s in listed["cl"].result_list if s.pk == sheet.pk]
        assert (row.stroke_count, row.segment_count) == (5, 15)
    change = admin_client.get(reverse("admin:core_sheet_change", args=[sheet.pk]))
    assert change.status_code == 200 and 'name="speed"' in change.content.decode()
    delete = admin_client.post(reverse("admin:core_sheet_delete", args=[sheet.pk]))
    assert delete.status_code == 403 and Sheet.objects.filter(pk=sheet.pk).exists()


def test_wall_now_page_and_data(admin_client):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=4)
    page = admin_client.get(reverse("admin:wall-now"))
    assert page.status_code == 200
    assert "Phones connected" in page.content.decode() and "/ws/wall/" in page.content.decode()
    data = admin_client.get(reverse("admin:wall-now-data")).json()
    assert data["sheets"][0] == {
        **data["sheets"][0],
        "sheet": sheet.pk,
        "current": True,
        "strokes": 4,
    }
    assert data["paused"] is False


def test_svg_export_has_one_path_per_stored_stroke(admin_client):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=3)
    draw(sheet, "d_bob", "bob", strokes=2, segments=1)
    moderation.device_strokes_remove(device="d_bob")
    draw(sheet, "d_carol", "carol", strokes=4)
    response = admin_client.get(reverse("admin:sheet-svg", args=[sheet.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "attachment" in response["Content-Disposition"]
    root = ET.fromstring(response.content)
    assert root.tag == SVG + "svg"
    assert root.get("viewBox") == "0 0 1600 900"
    paths = root.findall(f".//{SVG}path")
    assert len(paths) == 7  # alice 3 + carol 4; bob's were removed
    for element in paths:
        assert element.get("d").startswith("M") and "Q" in element.get("d")
        assert element.get("stroke") == "#f94144" and float(element.get("stroke-width")) > 0


def test_png_export_renders_at_the_chosen_size(admin_client):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice")
    response = admin_client.get(reverse("admin:sheet-png", args=[sheet.pk]) + "?width=800")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (800, 450)
    colours = {colour for _, colour in image.getcolors(800 * 450)}
    assert (0xF9, 0x41, 0x44) in colours, "the stroke is drawn"


def test_exports_need_a_staff_login(client):
    sheet = sheet_current()
    for name in ("admin:sheet-svg", "admin:sheet-png", "admin:wall-now", "admin:wall-now-data"):
        args = [sheet.pk] if "sheet" in name else []
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_replay_gives_any_sheet_with_timestamps(client):
    archived = sheet_current()
    draw(archived, "d_alice", "alice", strokes=2, segments=2)
    moderation.sheet_reset()
    body = client.get(f"/projector/sheet/{archived.pk}/").json()
    assert body["sheet"] == archived.pk and body["current"] is False
    assert set(body) >= {"sheet", "stored", "strokes", "exhibit"}
    times = [s["t"] for stroke in body["strokes"] for s in stroke["segments"]]
    assert times == [0, 100, 200, 300]
    assert body["duration"] == 300
    assert [s["key"] for s in body["strokes"][0]["segments"]] == ["alice:1", "alice:2"]
    assert client.get("/projector/sheet/999999/").status_code == 404
    assert client.post(f"/projector/sheet/{archived.pk}/").status_code == 405


def test_old_admin_addresses_of_the_moved_models_redirect_to_core(admin_client):
    """A curator's bookmark from before Exhibit, Sheet and Device moved to core."""
    for old, new in [
        ("/admin/projector/exhibit/1/change/", "/admin/core/exhibit/1/change/"),
        ("/admin/projector/sheet/?o=1", "/admin/core/sheet/?o=1"),
        ("/admin/controller/device/", "/admin/core/device/"),
    ]:
        response = admin_client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
    assert admin_client.get("/admin/projector/openinghours/").status_code == 200
