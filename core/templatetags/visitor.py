"""The visitor's language, and the words the phone and the wall pages say from
JavaScript, translated (Django's gettext; catalogues in controller/locale and
projector/locale).

`{% visitor_language as lang %}` reads the language Django activated for the request
(LocaleMiddleware, when the settings have it), else the browser's Accept-Language,
among the languages this installation has words for; templates wrap their body in
`{% language lang %}`.
"""

from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation.trans_real import parse_accept_lang_header

register = template.Library()

# The languages the pages are translated into (catalogues in */locale/).
LANGUAGES = ("en", "fr", "ar", "de", "es", "it", "pt")
DEFAULT = "en"


def language_pick(accept_language: str) -> str:
    """The first language of an Accept-Language header that the pages speak."""
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        base = code.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT


@register.simple_tag(takes_context=True)
def visitor_language(context) -> str:
    request = context.get("request")
    active = (translation.get_language() or "").split("-")[0]
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "") if request is not None else ""
    if active in LANGUAGES and active != DEFAULT:
        return active  # LocaleMiddleware (or a caller) chose it already
    return language_pick(header)


@register.simple_tag
def language_bidi(code: str) -> bool:
    return translation.get_language_info(code)["bidi"]


def _english() -> bool:
    return (translation.get_language() or DEFAULT).split("-")[0] == DEFAULT


# The palette's colour names (static/controller/colornames.js), for "You are teal".
COLOR_NAMES = {
    "red": lambda: _("red"),
    "orange": lambda: _("orange"),
    "amber": lambda: _("amber"),
    "yellow": lambda: _("yellow"),
    "green": lambda: _("green"),
    "jade": lambda: _("jade"),
    "teal": lambda: _("teal"),
    "blue": lambda: _("blue"),
    "slate blue": lambda: _("slate blue"),
    "purple": lambda: _("purple"),
    "pink": lambda: _("pink"),
    "white": lambda: _("white"),
    "black": lambda: _("black"),
    "grey": lambda: _("grey"),
    "silver": lambda: _("silver"),
    "dark red": lambda: _("dark red"),
    "coral": lambda: _("coral"),
    "brown": lambda: _("brown"),
    "beige": lambda: _("beige"),
    "gold": lambda: _("gold"),
    "olive": lambda: _("olive"),
    "lime": lambda: _("lime"),
    "dark green": lambda: _("dark green"),
    "cyan": lambda: _("cyan"),
    "sky blue": lambda: _("sky blue"),
    "royal blue": lambda: _("royal blue"),
    "navy": lambda: _("navy"),
    "violet": lambda: _("violet"),
    "magenta": lambda: _("magenta"),
    "maroon": lambda: _("maroon"),
    "lavender": lambda: _("lavender"),
}


@register.simple_tag
def phone_strings() -> dict:
    """What static/controller/phone.js says, in the active language. `{n}` and
    `{name}` are filled in by the page. Nothing for English: the page has those words
    (the HTML is not compressed; every byte counts on slow 3G)."""
    if _english():
        return {}
    return {
        "connecting": _("Connecting…"),
        "live": _("Live"),
        "reconnecting": _("Reconnecting…"),
        "paused": _("Paused"),
        "blocked": _("Blocked"),
        "full": _("Wall full · #{n} in line"),
        "paused_notice": _("Drawing is paused for a moment"),
        "full_notice": _("The wall is full. You are number {n} in line."),
        "blocked_notice": _("This phone can no longer draw here."),
        "cleared": _("The wall was cleared"),
        "out_of_ink": _("Out of ink: it refills in a moment"),
        "waiting": _("Waiting for the connection…"),
        "storage_full": _("The wall cannot keep new lines just now"),
        "you_are": _("You are {name}"),
        "hint": _("Draw with one finger: your lines appear on the wall."),
        "hint_short": _("Draw with one finger"),
        "turn_sideways": _("Draw with one finger · turn sideways for a bigger pad"),
        "turn_upright": _("Draw with one finger · turn upright for a bigger pad"),
        "brush": _("Brush size {n}"),
        "landed": _("On the wall ✓"),
        "colors": {name: translate() for name, translate in COLOR_NAMES.items()},
    }


@register.simple_tag
def wall_strings() -> dict:
    """What the wall says (static/projector/words.js), in the active language (nothing for
    English: the page has those words)."""
    if _english():
        return {}
    return {
        "paused": _("Paused · drawing will be back in a moment"),
        "closed": _("Closed"),
        "phones_1": ngettext("%(n)s phone", "%(n)s phones", 1) % {"n": "{n}"},
        "phones_n": ngettext("%(n)s phone", "%(n)s phones", 2) % {"n": "{n}"},
        "drawing": _("{n} drawing"),
        "sheet": _("Sheet {n}"),
        "replay": _("replay ×{n}"),
        "no_p5": _("The wall could not load p5.js."),
    }
