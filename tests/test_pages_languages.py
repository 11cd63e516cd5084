"""The phone page, the wall and the poster in the visitor's language (issue 14):
Django's gettext catalogues (controller/locale, projector/locale), chosen from the
browser's Accept-Language. French reads French; Arabic reads Arabic, right to left,
and the pad still takes touch where it is drawn."""

from __future__ import annotations

import pytest

from core.templatetags.visitor import language_pick
from tests.phone_pad import Touch, pad_at, pad_ink

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    from tests.parts import Server

    server = Server()
    server.start()
    yield server
    server.close()


def test_the_language_comes_from_accept_language():
    assert language_pick("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert language_pick("nl-NL,ar;q=0.7") == "ar", "the first one the pages speak"
    assert language_pick("nl-NL") == "en"
    assert language_pick("") == "en"
    for header, code in (("de-AT", "de"), ("es-MX,en", "es"), ("it", "it"), ("pt-BR", "pt")):
        assert language_pick(header) == code


def test_every_language_has_every_word():
    """At least six languages, one right to left, each catalogue (compiled, as the
    server reads it) with every word the French one has, none left empty."""
    import gettext
    from pathlib import Path

    from core.templatetags.visitor import LANGUAGES, language_bidi

    assert len(LANGUAGES) >= 6 and any(language_bidi(code) for code in LANGUAGES)
    root = Path(__file__).resolve().parent.parent
    for app in ("controller", "projector"):

        def words(code: str, app: str = app) -> dict:
            with open(root / app / "locale" / code / "LC_MESSAGES" / "django.mo", "rb") as mo:
                catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
            # A plural's forms are keyed (msgid, n): Arabic has six, the others two.
            return {
                key if isinstance(key, str) else key[0]: text
                for key, text in catalog.items()
                if key
            }

        french = words("fr")
        for code in LANGUAGES:
            if code in ("en", "fr"):
                continue
            theirs = words(code)
            assert set(theirs) == set(french), (app, code, set(french) ^ set(theirs))
            assert all(theirs.values()), (app, code)


def phone(browser, devices, server, locale: str):
    context = browser.new_context(**devices["Pixel 7"], locale=locale)
    page = context.new_page()
    page.goto(server.http + "/")
    page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    return page


def test_a_french_browser_gets_the_french_phone_page(server, browser, devices):
    page = phone(browser, devices, server, "fr-FR")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert page.locator("#status").inner_text() == "En direct"
    assert page.locator("#ink-label").inner_text() == "Encre"
    assert page.locator("#you").inner_text().startswith("Vous êtes en ")
    assert "Dessinez avec un doigt" in page.locator("#hint").inner_text()
    page.context.close()


def test_a_german_browser_gets_the_german_phone_page(server, browser, devices):
    page = phone(browser, devices, server, "de-DE")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert page.locator("#ink-label").inner_text() == "Tinte"
    assert page.locator("#you").inner_text().startswith("Deine Farbe: ")
    assert "Zeichne mit einem Finger" in page.locator("#hint").inner_text()
    page.context.close()


def test_an_arabic_browser_gets_the_right_to_left_phone_page(server, browser, devices):
    page = phone(browser, devices, server, "ar-EG")
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("#status").inner_text() == "مباشر"
    assert page.locator("#you").inner_text().startswith("لونك ")
    # Laid out right to left: the title on the right, the status on the left.
    title = page.locator("#title").bounding_box()
    status = page.locator("#status").bounding_box()
    assert status["x"] < title["x"]
    # The ink meter fills from the right.
    origin = page.evaluate(
        "getComputedStyle(document.getElementById('meter-fill')).transformOrigin"
    )
    assert not origin.startswith("0px")
    # The pad is not mirrored: a stroke lands where the finger went.
    Touch(page).swipe(pad_at(page, 0.1, 0.2), pad_at(page, 0.4, 0.2), steps=10)
    page.wait_for_timeout(200)
    assert pad_ink(page, 0.15, 0.2) > 0 and pad_ink(page, 0.85, 0.2) == 0
    page.context.close()


def test_the_wall_and_the_poster_speak_french_arabic_and_spanish(server, browser):
    for locale, lang, dir_, words in (
        ("fr-FR", "fr", "ltr", "Dessinez sur votre écran avec un doigt."),
        ("ar", "ar", "rtl", "ارسم على شاشتك بإصبع واحدة."),
        ("es-ES", "es", "ltr", "Dibuja en tu pantalla con un dedo."),
    ):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
        page.goto(server.http + "/poster/")
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.evaluate("document.documentElement.dir") == dir_
        assert words in page.inner_text("body")
        page.goto(server.http + "/projector/")
        page.wait_for_function(
            "window.wall && window.wall.ready && window.wall.state.connection === 'live'",
            timeout=15000,
        )
        assert page.evaluate("document.documentElement.lang") == lang
        page.evaluate("window.wall.sync.handle({type: 'exhibit', exhibit: {paused: true}})")
        banner = page.locator("#banner").inner_text()
        assert (
            banner
            == {
                "fr": "En pause · le dessin revient dans un moment",
                "ar": "متوقف مؤقتًا · يعود الرسم بعد لحظة",
                "es": "En pausa · en un momento se podrá volver a dibujar",
            }[lang]
        )
        context.close()
