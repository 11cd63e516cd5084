"""The curator's console through Django's test client: the admin's front page, one
phone's moderation from a selected stroke, the devices' thumbnails, a sheet's
clickable picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from core.models import Device, Exhibit, Segment
from core.sheets import sheet_current
from projector import moderation
from tests.test_curator_admin import draw

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def announced(monkeypatch):
    calls: list[tuple[dict, ...]] = []
    monkeypatch.setattr(
        moderation, "announce", lambda *messages, **details: calls.append(messages) or True
    )
    return calls


def test_the_front_page_is_the_console(admin_client):
    exhibit = Exhibit.load()
    exhibit.title = "Night at the museum"
    exhibit.save()
    draw(sheet_current(), "d_alice", "alice", strokes=2)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Night at the museum" in page
    for marker in ('id="thumb"', 'id="connected"', 'id="drawing"', 'id="points"', "/ws/wall/"):
        assert marker in page
    assert reverse("admin:exhibit-pause") in page and reverse("admin:sheet-reset") in page
    assert "projector/sync.js" in page
    # The stock app list is still there, under the console.
    assert reverse("admin:core_device_changelist") in page
    # The old address shows the same console.
    assert 'id="thumb"' in admin_client.get(reverse("admin:wall-now")).content.decode()


def test_the_console_offers_resume_when_paused(admin_client):
    moderation.exhibit_pause(paused=True)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:exhibit-resume") in page and "paused" in page


def test_a_viewer_sees_the_console_without_buttons(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_exhibit"))
    client.force_login(user)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="thumb"' in page
    assert reverse("admin:exhibit-pause") not in page
    assert 'id="select-block"' not in page


def test_moderate_one_phone(admin_client, announced, django_capture_on_commit_callbacks):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice")
    draw(sheet, "d_bob", "bob")
    url = reverse("admin:device-moderate")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"device": "d_alice", "do": "remove", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert set(Segment.objects.filter(removed=True).values_list("device", flat=True)) == {"d_alice"}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"device": "d_alice", "do": "block"})
    assert Device.objects.get(pk="d_alice").blocked
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"device": "d_alice", "do": "unblock"})
    assert not Device.objects.get(pk="d_alice").blocked
    assert admin_client.get(url).status_code == 405
    assert admin_client.post(url, {"device": "d_alice", "do": "explode"}).status_code == 400


def test_moderation_of_an_archived_sheet(admin_client, announced):
    archived = sheet_current()
    draw(archived, "d_alice", "alice")
    moderation.exhibit_reset()
    draw(sheet_current(), "d_alice", "alice2")
    admin_client.post(
        reverse("admin:device-moderate"),
        {"device": "d_alice", "do": "remove", "sheet": archived.pk},
    )
    assert Segment.objects.filter(sheet=archived, removed=False).count() == 0
    assert Segment.objects.filter(sheet=sheet_current(), removed=False).count() == 6


def test_moderation_needs_the_change_permission(client, django_user_model, announced):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(user)
    draw(sheet_current(), "d_alice", "alice")
    response = client.post(reverse("admin:device-moderate"), {"device": "d_alice", "do": "block"})
    assert response.status_code == 403
    assert not Device.objects.get(pk="d_alice").blocked


def test_devices_list_shows_each_phones_thumbnail(admin_client):
    sheet = sheet_current()
    draw(sheet, "d_alice", "alice", strokes=3)
    draw(sheet, "d_bob", "bob", strokes=1)
    page = admin_client.get(reverse("admin:core_device_changelist")).content.decode()
    assert reverse("admin:device-thumbnail", args=["d_alice"]) in page
    response = admin_client.get(reverse("admin:device-thumbnail", args=["d_alice"]))
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert len(root.findall(f".//{SVG}path")) == 3
    bob = ET.fromstring(admin_client.get(reverse("admin:device-thumbnail", args=["d_bob"])).content)
    assert len(bob.findall(f".//{SVG}path")) == 1


def test_a_sheets_page_shows_a_clickable_picture(admin_client, announced):
    archived = sheet_current()
    draw(archived, "d_alice", "alice", strokes=2)
    draw(archived, "d_bob", "bob", strokes=1)
    moderation.exhibit_reset()
    page = admin_client.get(reverse("admin:core_sheet_change", args=[archived.pk])).content.decode()
    assert page.count('data-device="d_alice"') == 2 and page.count('data-device="d_bob"') == 1
    assert 'data-stroke="alice:1"' in page
    assert 'id="sheet-remove"' in page and f'name="sheet" value="{archived.pk}"' in page
