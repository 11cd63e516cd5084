"""Form fields for the exhibit settings a curator can use without knowing JSON: the
palette as colour pickers, the aspect ratio as a choice of ratios, brush sizes in
pixels on a 1920-pixel wall. Each also takes the JSON / decimal form the settings
were posted in before (scripts and older tests keep working). Errors are sentences."""

from __future__ import annotations

import json
import re
from fractions import Fraction

from django import forms

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WALL_PIXELS = 1920  # brush sizes are shown in pixels on a wall this wide
MAX_COLOURS = 64
MAX_BRUSHES = 16
MAX_BRUSH = 0.2  # of the wall's width
ASPECT_MIN, ASPECT_MAX = 0.2, 5.0
ASPECT_CHOICES = (
    ("16:9", "16:9 (widescreen, most projectors and TVs)"),
    ("16:10", "16:10 (many laptops and business projectors)"),
    ("4:3", "4:3 (older projectors)"),
    ("21:9", "21:9 (ultra-wide)"),
    ("custom", "Custom…"),
)
CUSTOM = "custom"


def _json_list(raw: str) -> list | None:
    """A posted value that is a JSON list (the old text box), or None."""
    text = raw.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def _posted_list(data, name: str) -> list[str]:
    getlist = getattr(data, "getlist", None)
    values = getlist(name) if getlist else data.get(name)
    if values is None:
        return []
    return values if isinstance(values, list) else [values]


def _trim(number: float) -> str:
    return f"{number:.2f}".rstrip("0").rstrip(".")


# -- the palette ----------------------------------------------------------------------


class PaletteWidget(forms.Widget):
    """One `<input type=color>` per colour, with add, remove and move buttons."""

    template_name = "admin/projector/widgets/palette.html"

    def value_from_datadict(self, data, files, name):
        values = _posted_list(data, name)
        if len(values) == 1 and (parsed := _json_list(str(values[0]))) is not None:
            return parsed
        return [str(v).strip() for v in values if str(v).strip()]

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, str):
            value = _json_list(value) or []
        context["widget"]["colours"] = [str(c).lower() for c in value or ()]
        return context


class PaletteField(forms.Field):
    widget = PaletteWidget

    def to_python(self, value) -> list:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            parsed = _json_list(value)
            if parsed is None:
                raise forms.ValidationError("The palette is a list of colours.")
            return parsed
        return list(value)

    def validate(self, value: list) -> None:
        if not value:
            raise forms.ValidationError("The palette needs at least one colour.")
        if len(value) > MAX_COLOURS:
            raise forms.ValidationError(
                f"The palette has {len(value)} colours; it can hold at most {MAX_COLOURS}."
            )
        seen: set[str] = set()
        for place, colour in enumerate(value, 1):
            if not isinstance(colour, str) or not COLOUR.match(colour):
                raise forms.ValidationError(
                    f"Colour {place} ({colour!s}) is not a colour: pick one, or write it as "
                    "# and six hexadecimal digits, like #ff3366."
                )
            if colour.lower() in seen:
                raise forms.ValidationError(
                    f"{colour.lower()} is in the palette twice; remove one of them."
                )
            seen.add(colour.lower())

    def clean(self, value) -> list[str]:
        return [c.lower() for c in super().clean(value)]


# -- brush sizes ----------------------------------------------------------------------


class BrushesWidget(forms.Widget):
    """One number input per brush, in pixels on a 1920-pixel-wide wall."""

    template_name = "admin/projector/widgets/brushes.html"

    def value_from_datadict(self, data, files, name):
        values = _posted_list(data, name)
        if len(values) == 1 and (parsed := _json_list(str(values[0]))) is not None:
            return {"fractions": parsed}
        return {"pixels": [str(v).strip() for v in values if str(v).strip()]}

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, str):
            value = _json_list(value) or []
        if isinstance(value, dict):
            pixels = value.get("pixels") or [
                _trim(float(w) * WALL_PIXELS) for w in value.get("fractions", ())
            ]
        else:
            pixels = [_trim(float(w) * WALL_PIXELS) for w in value or ()]
        context["widget"]["pixels"] = pixels
        context["widget"]["wall_pixels"] = WALL_PIXELS
        context["widget"]["max_pixels"] = _trim(MAX_BRUSH * WALL_PIXELS)
        return context


class BrushesField(forms.Field):
    """Brush widths: posted in pixels (or as the old JSON list of fractions), kept as
    fractions of the wall's width."""

    widget = BrushesWidget

    def to_python(self, value) -> list[float]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = {"fractions": _json_list(value) or [value]}
        if isinstance(value, dict) and "fractions" in value:
            widths = []
            for place, width in enumerate(value["fractions"], 1):
                if isinstance(width, bool) or not isinstance(width, int | float):
                    raise forms.ValidationError(f"Brush {place} ({width!s}) is not a number.")
                widths.append(float(width))
            return widths
        pixels = value.get("pixels", ()) if isinstance(value, dict) else value
        widths = []
        for place, text in enumerate(pixels, 1):
            try:
                px = float(str(text).replace(",", "."))
            except ValueError:
                raise forms.ValidationError(
                    f"Brush {place} ({text}) is not a number of pixels."
                ) from None
            if px != px or px in (float("inf"), float("-inf")):
                raise forms.ValidationError(f"Brush {place} ({text}) is not a number of pixels.")
            widths.append(round(px / WALL_PIXELS, 6))
        return widths

    def validate(self, value: list[float]) -> None:
        if not value:
            raise forms.ValidationError("Give at least one brush size.")
        if len(value) > MAX_BRUSHES:
            raise forms.ValidationError(
                f"There are {len(value)} brushes; phones can offer at most {MAX_BRUSHES}."
            )
        biggest = _trim(MAX_BRUSH * WALL_PIXELS)
        for place, width in enumerate(value, 1):
            px = _trim(width * WALL_PIXELS)
            if width <= 0:
                raise forms.ValidationError(
                    f"Brush {place} is {px} px wide: a brush must be wider than 0 px."
                )
            if width > MAX_BRUSH:
                raise forms.ValidationError(
                    f"Brush {place} is {px} px wide: on a {WALL_PIXELS}-pixel wall a brush can "
                    f"be at most {biggest} px."
                )
        if len(set(value)) != len(value):
            raise forms.ValidationError("Two brushes have the same size; remove one of them.")


# -- the aspect ratio -----------------------------------------------------------------


def ratio_of(text: str) -> float:
    """'16:9' -> 1.777…; a plain decimal is taken as it is."""
    if ":" in text:
        width, height = text.split(":", 1)
        return float(width) / float(height)
    return float(text)


def ratio_label(aspect: float) -> str:
    """1.777… -> '16:9'; any other value as the nearest small whole-number ratio."""
    for choice, _ in ASPECT_CHOICES:
        if choice != CUSTOM and abs(ratio_of(choice) - aspect) < 0.001:
            return choice
    fraction = Fraction(aspect).limit_denominator(50)
    return f"{fraction.numerator}:{fraction.denominator}"


class AspectRatioWidget(forms.Widget):
    """A choice of the common ratios, or width and height for any other."""

    template_name = "admin/projector/widgets/aspect_ratio.html"

    def value_from_datadict(self, data, files, name):
        if data.get(name) not in (None, ""):
            return str(data.get(name))  # the old decimal text box
        choice = data.get(f"{name}_choice", "")
        if choice == CUSTOM:
            return {
                "width": data.get(f"{name}_width", ""),
                "height": data.get(f"{name}_height", ""),
            }
        return choice

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and f"{name}_choice" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, dict):
            choice, width, height = CUSTOM, value.get("width", ""), value.get("height", "")
        else:
            try:
                aspect = ratio_of(str(value)) if value not in (None, "") else 16 / 9
            except (ValueError, ZeroDivisionError):
                aspect = 16 / 9
            label = ratio_label(aspect)
            width, height = label.split(":")
            known = {c for c, _ in ASPECT_CHOICES}
            choice = label if label in known else CUSTOM
        context["widget"].update(choices=ASPECT_CHOICES, choice=choice, width=width, height=height)
        return context


class AspectRatioField(forms.Field):
    widget = AspectRatioWidget

    def to_python(self, value) -> float | None:
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            try:
                width = float(str(value.get("width", "")).replace(",", "."))
                height = float(str(value.get("height", "")).replace(",", "."))
            except ValueError:
                raise forms.ValidationError(
                    "For a custom ratio, give the wall's width and height as numbers, like 3 and 2."
                ) from None
            if width <= 0 or height <= 0:
                raise forms.ValidationError("Width and height must both be more than 0.")
            return width / height
        try:
            return ratio_of(str(value))
        except (ValueError, ZeroDivisionError):
            raise forms.ValidationError(
                f"{value} is not a ratio: choose one, or give a width and height."
            ) from None

    def validate(self, value) -> None:
        if value is None:
            raise forms.ValidationError("Choose the wall's shape.")
        if not ASPECT_MIN <= value <= ASPECT_MAX:
            raise forms.ValidationError(
                "That shape is too narrow or too wide: the width can be from a fifth of the "
                "height (1:5) to five times the height (5:1)."
            )


# -- the museum-safe delay ------------------------------------------------------------

MAX_DELAY = 600  # seconds; the Mixer holds what the delay keeps in memory


class DelayField(forms.IntegerField):
    """The museum-safe delay in whole seconds, 0 (off) to 10 minutes."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Museum-safe delay (seconds)")
        kwargs.setdefault(
            "help_text",
            "Strokes reach the wall this many seconds after they are drawn; 0 is off. "
            "Meanwhile the console shows them as pending, and removing a phone's strokes "
            "there means no visitor ever sees them. Phones still draw at once on their own "
            f"screen. At most {MAX_DELAY} s.",
        )
        # Not required: a post without it (a script, a form from before the delay) keeps
        # the delay as it is (ExhibitForm.clean_delay_seconds).
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_DELAY)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "The delay is a whole number of seconds, like 20 (0 is off).",
                "min_value": "The delay cannot be less than 0 seconds; 0 turns it off.",
                "max_value": f"The delay can be at most {MAX_DELAY} seconds (10 minutes).",
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("class", "vIntegerField")
