"""The museum-safe delay in the settings form and on the console (Django's test client)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Exhibit
from tests.test_curator_settings import URL, announced, form, post  # noqa: F401

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_the_settings_form_sets_the_delay(admin_client, announced):  # noqa: F811
    Exhibit.load()
    page = admin_client.get(URL).content.decode()
    assert 'name="delay_seconds"' in page and "Museum-safe delay" in page
    assert post(admin_client, form(delay_seconds="20")).status_code == 302
    assert Exhibit.load().delay_seconds == 20
    # A post without the field (a script, an older form) keeps it; 0 turns it off.
    assert post(admin_client, form()).status_code == 302
    assert Exhibit.load().delay_seconds == 20
    assert post(admin_client, form(delay_seconds="0")).status_code == 302
    assert Exhibit.load().delay_seconds == 0


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("601", "at most 600 seconds"),
        ("-1", "cannot be less than 0 seconds"),
        ("soon", "whole number of seconds"),
    ],
)
def test_the_delay_is_validated_in_words(admin_client, announced, value, words):  # noqa: F811
    response = post(admin_client, form(delay_seconds=value))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert Exhibit.load().delay_seconds == 0


def test_the_console_says_when_the_delay_is_on(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="delay" hidden' in page
    exhibit = Exhibit.load()
    exhibit.delay_seconds = 20
    exhibit.save()
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="delay">' in page and '<span id="delay-seconds">20</span> s' in page
    assert '"delay_seconds": 20' in page  # the page's script starts from it
    data = admin_client.get(reverse("admin:wall-now-data")).json()
    assert data["delay_seconds"] == 20  # and follows changes from the poll
