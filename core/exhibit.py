"""A process's frozen copy of the curator's settings, the current sheet and the
blocked phones, so the hot path never queries the database."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.utils.translation import gettext_noop

from core.messages import Limits


@dataclass(frozen=True, slots=True)
class ExhibitSnapshot:
    sheet: int
    title: str = "Draw on the wall"
    invitation: str = "Scan the code and draw with your finger."
    paused: bool = False
    aspect: float = 16 / 9
    palette: tuple[str, ...] = ()
    brushes: tuple[float, ...] = ()
    background: str = "#111111"
    ink_rate: float = 240.0
    ink_burst: float = 480.0
    max_points: int = 64
    max_messages: int = 60
    wall_budget: int = 3000
    max_drawing: int = 200
    max_connections_per_device: int = 3
    fade_seconds: int = 0
    attract_seconds: int = 120
    delay_seconds: int = 0  # the museum-safe delay (projector.delay); 0 is off
    phone_view: bool = True  # phones show the wall faintly (projector.view)
    closed: bool = False  # closed by the opening hours
    closed_message: str = "We are closed. Come back when we open to draw on the wall."
    # The languages the wall's invitation cycles through (codes; empty: the wall's own).
    wall_languages: tuple[str, ...] = ()
    # The venue's Wi-Fi, for the QR code on the wall and the poster (wifi_data); the
    # password never goes to phones (not in for_phone) nor over the wall's socket.
    wifi_name: str = ""
    wifi_password: str = ""
    wifi_security: str = "WPA"
    blocked: frozenset[str] = field(default_factory=frozenset)

    @property
    def limits(self) -> Limits:
        return _limits(self.max_points, self.palette, self.brushes)

    def for_phone(self) -> dict:
        return {
            "title": self.title,
            "aspect": self.aspect,
            "palette": list(self.palette),
            "brushes": list(self.brushes),
            "background": self.background,
            "view": self.phone_view,
        }

    def limits_for_phone(self) -> dict:
        return {
            "ink_rate": self.ink_rate,
            "ink_burst": self.ink_burst,
            "max_points": self.max_points,
            "max_messages": self.max_messages,
        }

    def for_wall(self) -> dict:
        return {
            "title": self.title,
            "invitation": self.invitation,
            "aspect": self.aspect,
            "background": self.background,
            "fade_seconds": self.fade_seconds,
            "attract_seconds": self.attract_seconds,
            # The wall's banner: "paused", or while closed by the opening hours this message.
            "paused": self.paused,
            "closed": self.closed,
            "closed_message": self.closed_message,
            # The title and invitation in each of the curator's languages, in turn.
            "invitations": invitations(self.title, self.invitation, self.wall_languages),
        }

    @property
    def wifi_data(self) -> str:
        """The `WIFI:` text phone cameras join a network from, or "" when none is set."""
        return wifi_data(self.wifi_name, self.wifi_password, self.wifi_security)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["blocked"] = sorted(self.blocked)
        return data


# The exhibit's default words, in the catalogues (projector/locale) so the invitation
# speaks each language until the curator writes words of their own.
_DEFAULT_WORDS = (
    gettext_noop("Draw on the wall"),
    gettext_noop("Scan the code and draw with your finger."),
)


def invitations(title: str, invitation: str, languages: tuple[str, ...]) -> list[dict]:
    """[{lang, dir, title, invitation}] for each language the wall's invitation cycles
    through: the exhibit's default words translated, a curator's own words as written."""
    from django.utils import translation

    shown = []
    for code in languages:
        with translation.override(code):
            shown.append(
                {
                    "lang": code,
                    "dir": "rtl" if translation.get_language_bidi() else "ltr",
                    "title": translation.gettext(title) if title else "",
                    "invitation": translation.gettext(invitation) if invitation else "",
                }
            )
    return shown


def _wifi_escape(text: str) -> str:
    # The WIFI: scheme (ZXing's "Wi-Fi Network config"): backslash, semicolon, comma,
    # colon and double quote are escaped with a backslash. (segno's make_wifi leaves
    # the comma alone, so the text is made here and drawn with segno.make.)
    return "".join("\\" + c if c in '\\;,:"' else c for c in text)


def wifi_data(name: str, password: str = "", security: str = "WPA") -> str:
    """`WIFI:T:WPA;S:name;P:pass;;`, escaped; an open network is `T:nopass` with no
    password. "" when there is no network name."""
    if not name:
        return ""
    kind = security if security in ("WPA", "WEP") and password else "nopass"
    data = f"WIFI:T:{kind};S:{_wifi_escape(name)};"
    if kind != "nopass":
        data += f"P:{_wifi_escape(password)};"
    return data + ";"


@functools.lru_cache(maxsize=8)
def _limits(max_points: int, palette: tuple[str, ...], brushes: tuple[float, ...]) -> Limits:
    """The parser's limits, made once per set of settings (they are read every message)."""
    return Limits(
        max_points=max_points,
        palette=frozenset(palette) if palette else None,
        brushes=frozenset(brushes) if brushes else None,
    )


# Snapshot fields read another way than "the model's field of the same name, as the
# snapshot's type": everything else follows from the two definitions by itself, so a
# new setting is a model field and a snapshot field, nothing more.
_READ_APART = {"sheet", "aspect", "palette", "brushes", "wall_languages", "blocked"}


def exhibit_snapshot_load() -> ExhibitSnapshot:
    """Read settings, the current sheet and blocked devices (sync; call off the loop)."""
    from core.models import Device, Exhibit
    from core.sheets import sheet_current

    exhibit = Exhibit.load()
    same_named: dict[str, Any] = {
        f.name: _as(f.type, getattr(exhibit, f.name))
        for f in fields(ExhibitSnapshot)
        if f.name not in _READ_APART
    }
    return ExhibitSnapshot(
        sheet=sheet_current().pk,
        aspect=float(exhibit.aspect_ratio),
        palette=tuple(c.lower() for c in exhibit.palette),
        brushes=tuple(float(b) for b in exhibit.brushes),
        wall_languages=tuple(str(code) for code in exhibit.wall_languages or ()),
        blocked=frozenset(Device.objects.filter(blocked=True).values_list("id", flat=True)),
        **same_named,
    )


def _as(kind: object, value: Any) -> Any:
    """A model value as the snapshot's field type ("int", "float", "bool", "str")."""
    cast = {"int": int, "float": float, "bool": bool, "str": str}.get(str(kind))
    return cast(value) if cast is not None else value
