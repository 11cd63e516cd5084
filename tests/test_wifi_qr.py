"""The venue's Wi-Fi (issue 14, item 6): set in the exhibit settings, shown on the wall
and the poster as a `WIFI:` QR code beside the join code, with "1. Join the Wi-Fi
2. Scan to draw"; nothing changes while no network is set, and the password never
goes to phones."""

from __future__ import annotations

import functools

import pytest

from core.exhibit import ExhibitSnapshot, wifi_data
from tests.qr import scan

# Every character the WIFI: scheme escapes (backslash, semicolon, comma, colon, quote).
NAME = 'Café "Kunst"; 2,4:GHz\\'
PASSWORD = 'p@ss;w,o:rd"\\x'
ESCAPED = 'WIFI:T:WPA;S:Café \\"Kunst\\"\\; 2\\,4\\:GHz\\\\;P:p@ss\\;w\\,o\\:rd\\"\\\\x;;'


def test_the_wifi_text_escapes_what_the_scheme_demands():
    assert wifi_data("Gallery", "secret123") == "WIFI:T:WPA;S:Gallery;P:secret123;;"
    assert wifi_data("Gallery", "12345", "WEP") == "WIFI:T:WEP;S:Gallery;P:12345;;"
    assert wifi_data("Open Gallery", "", "nopass") == "WIFI:T:nopass;S:Open Gallery;;"
    assert wifi_data("Open", "ignored", "nopass") == "WIFI:T:nopass;S:Open;;"
    assert wifi_data(NAME, PASSWORD) == ESCAPED
    assert wifi_data("", "secret123") == "", "no network, no code"


def test_the_password_goes_neither_to_phones_nor_over_the_walls_socket():
    snapshot = ExhibitSnapshot(sheet=1, wifi_name="Gallery", wifi_password="secret123")
    assert snapshot.wifi_data == "WIFI:T:WPA;S:Gallery;P:secret123;;"
    for message in (snapshot.for_phone(), snapshot.limits_for_phone(), snapshot.for_wall()):
        assert "secret123" not in repr(message)


@pytest.mark.database
@pytest.mark.django_db
def test_the_loader_reads_the_wifi_settings():
    from core.exhibit import exhibit_snapshot_load
    from core.models import Exhibit

    Exhibit.objects.update_or_create(
        pk=1, defaults={"wifi_name": NAME, "wifi_password": PASSWORD, "wifi_security": "WPA"}
    )
    assert exhibit_snapshot_load().wifi_data == ESCAPED


@pytest.mark.database
@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_the_curator_sets_the_network_in_the_settings_form(admin_client, monkeypatch):
    from core.models import Exhibit
    from projector import moderation
    from tests.test_curator_settings import form, post

    monkeypatch.setattr(moderation, "announce", lambda *messages, **details: True)
    Exhibit.load()
    form = functools.partial(form, delay_seconds="0")  # the form as the page posts it
    page = admin_client.get("/admin/core/exhibit/1/change/").content.decode()
    assert 'name="wifi_name"' in page and 'name="wifi_security"' in page
    assert post(admin_client, form()).status_code == 302, "the form without them still saves"
    assert Exhibit.load().wifi_name == "" and Exhibit.load().wifi_security == "WPA"

    changes = {"wifi_name": " Gallery ", "wifi_password": "secret123", "wifi_security": "WEP"}
    assert post(admin_client, form(**changes)).status_code == 302
    exhibit = Exhibit.load()
    assert (exhibit.wifi_name, exhibit.wifi_password, exhibit.wifi_security) == (
        "Gallery",
        "secret123",
        "WEP",
    )
    response = post(admin_client, form(wifi_name="Gallery", wifi_password="", wifi_security="WPA"))
    assert response.status_code == 200
    assert "needs its password" in response.content.decode()
    short = form(wifi_name="Gallery", wifi_password="short", wifi_security="WPA")
    assert "8 to 63 characters" in post(admin_client, short).content.decode()


# -- in Chromium, against the real server ---------------------------------------------


@pytest.fixture(scope="module")
def server():
    from tests.parts import Server

    server = Server()
    server.start()
    yield server
    server.close()


def set_wifi(server, name: str, password: str, security: str = "WPA") -> None:
    code = (
        "from core.models import Exhibit; "
        f"Exhibit.objects.update_or_create(pk=1, defaults=dict(wifi_name={name!r}, "
        f"wifi_password={password!r}, wifi_security={security!r}))"
    )
    server.manage("shell", "-c", code)


LIVE = "window.wall && window.wall.ready && window.wall.state.connection === 'live'"


def open_page(browser, server, path: str, locale: str = "en-GB"):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale=locale)
    page = context.new_page()
    page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(server.http + path)
    if path.startswith("/projector/"):
        page.wait_for_function(LIVE, timeout=15000)
    return page


@pytest.mark.browser
def test_no_network_no_wifi_code(server, browser):
    set_wifi(server, "", "")
    for path in ("/poster/", "/projector/"):
        page = open_page(browser, server, path)
        assert page.locator("#wifi-qr").count() == 0
        assert "Wi-Fi" not in page.locator("body").inner_text()
        assert scan(page.locator("img[src$='join.svg']").first) == [server.http + "/"]
        page.context.close()


@pytest.mark.browser
def test_the_wifi_code_on_the_poster_and_the_wall_decodes_to_the_network(server, browser):
    set_wifi(server, NAME, PASSWORD)
    poster = open_page(browser, server, "/poster/")
    assert scan(poster.locator("#wifi-qr")) == [ESCAPED]
    assert scan(poster.locator("#join-qr")) == [server.http + "/"]
    text = poster.locator("body").inner_text()
    assert "1. Join the Wi-Fi" in text and "2. Scan to draw" in text and NAME in text
    wifi = poster.locator("#wifi-qr").bounding_box()
    join = poster.locator("#join-qr").bounding_box()
    assert abs(wifi["y"] - join["y"]) < 2 and wifi["x"] + wifi["width"] <= join["x"], "side by side"
    poster.context.close()

    wall = open_page(browser, server, "/projector/")
    # The attract screen (shown while the sheet is empty) has both codes, large.
    codes = wall.locator("#attract .attract-qr")
    assert codes.count() == 2
    assert scan(codes.nth(0)) == [ESCAPED]
    assert scan(codes.nth(1)) == [server.http + "/"]
    # The join card in the corner, once the attract screen is gone.
    wall.evaluate("document.getElementById('attract').hidden = true")
    card = wall.locator("#join")
    assert scan(card.locator("#wifi-qr")) == [ESCAPED]
    assert scan(card.locator("#join-qr")) == [server.http + "/"]
    assert "1. Join the Wi-Fi" in card.inner_text() and "2. Scan to draw" in card.inner_text()
    wall.context.close()


@pytest.mark.browser
def test_an_open_network_in_french(server, browser):
    set_wifi(server, "Galerie, ouverte", "", "nopass")
    poster = open_page(browser, server, "/poster/", locale="fr-FR")
    assert scan(poster.locator("#wifi-qr")) == ["WIFI:T:nopass;S:Galerie\\, ouverte;;"]
    assert "1. Rejoignez le Wi-Fi" in poster.locator("body").inner_text()
    poster.context.close()
