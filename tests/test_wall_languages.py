"""The wall's invitation in the languages the curator picks (issue 14, item 7): a
setting (language codes; none: the wall's own language), and the wall showing the
title and invitation in each in turn while the invitation shows."""

from __future__ import annotations

import functools
from contextlib import contextmanager

import pytest

from core.exhibit import ExhibitSnapshot


def test_the_invitations_are_the_default_words_translated_or_the_curators_own():
    assert ExhibitSnapshot(sheet=1).for_wall()["invitations"] == [], "default: the wall's own"
    shown = ExhibitSnapshot(sheet=1, wall_languages=("fr", "ar")).for_wall()["invitations"]
    assert shown == [
        {
            "lang": "fr",
            "dir": "ltr",
            "title": "Dessinez sur le mur",
            "invitation": "Scannez le code et dessinez avec votre doigt.",
        },
        {
            "lang": "ar",
            "dir": "rtl",
            "title": "ارسم على الجدار",
            "invitation": "امسح الرمز وارسم بإصبعك.",
        },
    ]
    own = ExhibitSnapshot(sheet=1, title="Nuit blanche", wall_languages=("de",)).for_wall()
    assert own["invitations"][0]["title"] == "Nuit blanche", "a curator's words as written"
    assert own["invitations"][0]["invitation"] == "Scanne den Code und zeichne mit deinem Finger."


@pytest.mark.database
@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_the_curator_picks_the_languages(admin_client, monkeypatch):
    from core.exhibit import exhibit_snapshot_load
    from core.models import Exhibit
    from projector import moderation
    from tests.test_curator_settings import form, post

    monkeypatch.setattr(moderation, "announce", lambda *messages, **details: True)
    Exhibit.load()
    form = functools.partial(form, delay_seconds="0")  # the form as the page posts it
    page = admin_client.get("/admin/core/exhibit/1/change/").content.decode()
    assert 'name="wall_languages"' in page and "Deutsch (German)" in page
    assert post(admin_client, form(wall_languages=["it", "fr"])).status_code == 302
    assert Exhibit.load().wall_languages == ["fr", "it"], "in the order the pages list them"
    assert exhibit_snapshot_load().wall_languages == ("fr", "it")
    assert post(admin_client, form(wall_languages=["xx"])).status_code == 200, "not a language"
    assert post(admin_client, form()).status_code == 302
    assert Exhibit.load().wall_languages == [], "none ticked: the wall's own language"


# -- in Chromium, against the real server ---------------------------------------------

LIVE = "window.wall && window.wall.ready && window.wall.state.connection === 'live'"


@contextmanager
def server_with_languages(codes: list[str]):
    """A server whose exhibit has these languages from the start (a process reads the
    exhibit when it starts; the in-memory channel layer does not reach a shell)."""
    from tests.parts import Server

    server = Server()
    code = (
        "from core.models import Exhibit; "
        f"Exhibit.objects.update_or_create(pk=1, defaults=dict(wall_languages={codes!r}))"
    )
    server.manage("shell", "-c", code)
    server.start()
    try:
        yield server
    finally:
        server.close()


def open_wall(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-GB")
    page = context.new_page()
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(server.http + "/projector/")
    page.wait_for_function(LIVE, timeout=15000)
    return page


def shown(page) -> tuple[str, str, str]:
    return page.evaluate(
        "(() => { const a = document.getElementById('attract');"
        " return [a.lang, a.querySelector('.attract-title').textContent,"
        " a.querySelector('.attract-line').textContent]; })()"
    )


@pytest.mark.browser
def test_the_invitation_alternates_between_two_languages(browser):
    with server_with_languages(["fr", "de"]) as server:
        alternates(browser, server)


def alternates(browser, server):
    page = open_wall(browser, server)
    assert page.locator("#attract").is_visible(), "an empty sheet: the invitation shows"
    french = ("fr", "Dessinez sur le mur", "Scannez le code et dessinez avec votre doigt.")
    german = ("de", "Zeichne auf die Wand", "Scanne den Code und zeichne mit deinem Finger.")
    seen: list[tuple[str, str, str]] = []
    for _ in range(70):  # 14 s: French, German, French again (5 s each)
        now = tuple(shown(page))
        if not seen or seen[-1] != now:
            seen.append(now)
        if len(seen) >= 4:
            break
        page.wait_for_timeout(200)
    assert seen[1:4] == [french, german, french] or seen[:3] == [french, german, french], seen
    page.context.close()


@pytest.mark.browser
def test_without_languages_the_wall_keeps_its_own_words(browser):
    with server_with_languages([]) as server:
        page = open_wall(browser, server)
        page.wait_for_timeout(2000)
        own = ("", "Draw on the wall", "Scan the code and draw with your finger.")
        assert tuple(shown(page)) == own
        page.context.close()
