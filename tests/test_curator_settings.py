"""Settings a curator can use: colour pickers, ratios, brush sizes in pixels, and
errors in words (the form through Django's test client)."""

from __future__ import annotations

import pytest

from core.models import Exhibit
from curator.exhibit_fields import ratio_label
from projector import moderation

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

URL = "/admin/core/exhibit/1/change/"


@pytest.fixture
def announced(monkeypatch):
    calls: list[tuple[dict, ...]] = []
    monkeypatch.setattr(
        moderation, "announce", lambda *messages, **details: calls.append(messages) or True
    )
    return calls


def form(**changes) -> list[tuple[str, str]]:
    """The settings form as a browser posts it: one field per colour and brush."""
    exhibit = Exhibit.load()
    fields = {
        "title": exhibit.title,
        "invitation": exhibit.invitation,
        "background": exhibit.background,
        "ink_rate": exhibit.ink_rate,
        "ink_burst": exhibit.ink_burst,
        "max_points": exhibit.max_points,
        "max_messages": exhibit.max_messages,
        "wall_budget": exhibit.wall_budget,
        "max_drawing": exhibit.max_drawing,
        "max_connections_per_device": exhibit.max_connections_per_device,
        "fade_seconds": exhibit.fade_seconds,
        "attract_seconds": exhibit.attract_seconds,
        "closed_message": exhibit.closed_message,
        "aspect_ratio_choice": "16:9",
        "palette": list(exhibit.palette),
        "brushes": [f"{w * 1920:g}" for w in exhibit.brushes],
    }
    fields.update(changes)
    pairs = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, str(item)))
    return pairs


def post(client, pairs):
    from urllib.parse import urlencode

    return client.post(URL, urlencode(pairs), content_type="application/x-www-form-urlencoded")


def test_the_form_shows_pickers_ratios_and_pixels(admin_client):
    Exhibit.load()
    page = admin_client.get(URL).content.decode()
    assert page.count('aria-label="Colour ') == len(Exhibit.load().palette)
    assert 'name="aspect_ratio_choice"' in page and '<option value="16:9" selected>' in page
    for label in ("16:10", "4:3", "21:9", "Custom"):
        assert label in page
    assert 'value="5.76"' in page and 'value="11.52"' in page  # 0.003, 0.006 of 1920 px
    assert "1920" in page
    assert 'type="color"' in page.split('name="background"')[0][-200:]


def test_pickers_save_a_reordered_palette(admin_client, announced):
    colours = ["#277da1", "#F94144", "#ffffff"]
    response = post(admin_client, form(palette=colours))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Exhibit.load().palette == ["#277da1", "#f94144", "#ffffff"]


def test_brushes_in_pixels_are_kept_as_fractions(admin_client, announced):
    response = post(admin_client, form(brushes=["5.76", "19.2", "96"]))
    assert response.status_code == 302
    assert Exhibit.load().brushes == [0.003, 0.01, 0.05]
    assert 'value="19.2"' in admin_client.get(URL).content.decode()


@pytest.mark.parametrize(
    "choice, expected", [("16:10", 1.6), ("4:3", 4 / 3), ("21:9", 21 / 9), ("16:9", 16 / 9)]
)
def test_aspect_ratio_choices(admin_client, announced, choice, expected):
    assert post(admin_client, form(aspect_ratio_choice=choice)).status_code == 302
    assert Exhibit.load().aspect_ratio == pytest.approx(expected)
    page = admin_client.get(URL).content.decode()
    assert f'<option value="{choice}" selected>' in page


def test_a_custom_ratio(admin_client, announced):
    changes = {
        "aspect_ratio_choice": "custom",
        "aspect_ratio_width": "3",
        "aspect_ratio_height": "2",
    }
    assert post(admin_client, form(**changes)).status_code == 302
    assert Exhibit.load().aspect_ratio == 1.5
    page = admin_client.get(URL).content.decode()
    assert '<option value="custom" selected>' in page and 'value="3"' in page
    assert ratio_label(1.5) == "3:2" and ratio_label(16 / 9) == "16:9"


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"palette": []}, "The palette needs at least one colour."),
        ({"palette": ["#ff0000", "red"]}, "Colour 2 (red) is not a colour"),
        ({"palette": ["#ff0000", "#FF0000"]}, "#ff0000 is in the palette twice"),
        (
            {"brushes": ["500"]},
            "Brush 1 is 500 px wide: on a 1920-pixel wall a brush can be at most 384 px.",
        ),
        ({"brushes": ["0"]}, "a brush must be wider than 0 px"),
        ({"brushes": ["wide"]}, "Brush 1 (wide) is not a number of pixels."),
        ({"brushes": ["6", "6"]}, "Two brushes have the same size"),
        (
            {
                "aspect_ratio_choice": "custom",
                "aspect_ratio_width": "10",
                "aspect_ratio_height": "1",
            },
            "too narrow or too wide",
        ),
        (
            {"aspect_ratio_choice": "custom", "aspect_ratio_width": "", "aspect_ratio_height": "1"},
            "give the wall&#x27;s width and height as numbers",
        ),
        ({"ink_rate": "0"}, "Ink refill must be more than 0"),
    ],
)
def test_errors_are_in_words(admin_client, announced, changes, words):
    before = Exhibit.load().updated_at
    response = post(admin_client, form(**changes))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert Exhibit.load().updated_at == before and announced == []


def test_the_closing_message_is_kept_when_left_out(admin_client, announced):
    pairs = [(k, v) for k, v in form(closed_message="Back at ten.") if k != "title"]
    assert post(admin_client, pairs + [("title", "Wall")]).status_code == 302
    assert Exhibit.load().closed_message == "Back at ten."
    without = [(k, v) for k, v in form() if k != "closed_message"]
    assert post(admin_client, without).status_code == 302
    assert Exhibit.load().closed_message == "Back at ten."
