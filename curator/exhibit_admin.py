"""The exhibit's settings in the admin: one row, live (saving it pushes the settings to
every phone and wall), its pause and resume, and the "Wall now" data the console polls.

Every action is a POST through the stock admin (staff login, CSRF, model
permissions) and calls a service in projector.moderation.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse

from core.models import Exhibit, Sheet
from curator.console import process_numbers, sheets_counted
from curator.exhibit_fields import AspectRatioField, BrushesField, DelayField, PaletteField
from curator.redirects import admin_next
from projector.moderation import exhibit_pause, exhibit_update

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WALL_NOW_SHEETS = 12


# How the settings page is laid out; the form edits every field here but these.
EXHIBIT_READONLY = ("paused", "closed", "updated_at")
EXHIBIT_FIELDSETS = (
    (
        "On the wall",
        {"fields": ("title", "invitation", "wall_languages", "paused", "updated_at")},
    ),
    ("When the gallery is closed", {"fields": ("closed", "closed_message")}),
    ("Canvas", {"fields": ("aspect_ratio", "palette", "brushes", "background")}),
    (
        "Limits",
        {
            "fields": (
                "ink_rate",
                "ink_burst",
                "max_points",
                "max_messages",
                "wall_budget",
                "max_drawing",
                "max_connections_per_device",
            )
        },
    ),
    (
        "Wall behaviour",
        {"fields": ("fade_seconds", "attract_seconds", "delay_seconds", "phone_view")},
    ),
    ("The venue's Wi-Fi", {"fields": ("wifi_name", "wifi_password", "wifi_security")}),
)
EXHIBIT_EDITABLE = tuple(
    name
    for _, options in EXHIBIT_FIELDSETS
    for name in options["fields"]
    if name not in EXHIBIT_READONLY
)


def language_choices() -> list[tuple[str, str]]:
    """The languages the pages speak, each named in itself and in English."""
    from django.utils.translation import get_language_info

    from core.templatetags.visitor import LANGUAGES

    choices = []
    for code in LANGUAGES:
        info = get_language_info(code)
        local, english = info["name_local"], info["name"]
        choices.append((code, local if local == english else f"{local} ({english})"))
    return choices


class ExhibitForm(forms.ModelForm):
    palette = PaletteField(
        label="Palette",
        help_text="The colours phones can draw with, in the order phones show them.",
    )
    brushes = BrushesField(label="Brush sizes")
    aspect_ratio = AspectRatioField(
        label="Wall shape",
        help_text="Width : height of the projected picture; phones letterbox to it.",
    )

    delay_seconds = DelayField()

    closed_message = forms.CharField(
        max_length=200,
        required=False,
        label="Closing message",
        help_text="What the wall says while the gallery is closed (opening hours).",
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )

    wall_languages = forms.MultipleChoiceField(
        choices=(),  # the languages the pages speak, set in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Invitation languages",
        help_text="The wall shows its title and invitation in each language ticked, in turn, "
        "a few seconds each. None ticked: only in the wall's own language. The default "
        "title and invitation are translated; words of your own show as you wrote them.",
    )
    wifi_security = forms.ChoiceField(
        choices=Exhibit._meta.get_field("wifi_security").choices or (),  # type: ignore[arg-type]
        required=False,
        label="Wi-Fi security",
        help_text="WPA for nearly every network with a password.",
    )

    class Meta:
        model = Exhibit
        fields = EXHIBIT_EDITABLE
        widgets = {"background": forms.TextInput(attrs={"type": "color"})}

    def clean_closed_message(self) -> str:
        """Left empty (or not posted): keep the message the wall has."""
        message = self.cleaned_data.get("closed_message", "").strip()
        return message or self.instance.closed_message or Exhibit().closed_message

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        languages = self.fields["wall_languages"]
        assert isinstance(languages, forms.MultipleChoiceField)
        languages.choices = language_choices()

    def clean_wall_languages(self) -> list[str]:
        """In the order the pages list them."""
        picked = set(self.cleaned_data.get("wall_languages") or ())
        return [code for code, _ in language_choices() if code in picked]

    def clean_delay_seconds(self) -> int:
        """Left out (or left empty): the delay stays as it is."""
        delay = self.cleaned_data.get("delay_seconds")
        return self.instance.delay_seconds if delay is None else delay

    def clean_wifi_name(self) -> str:
        return self.cleaned_data.get("wifi_name", "").strip()

    def clean_wifi_security(self) -> str:
        """Not posted (a script, an older form): keep the one the exhibit has."""
        return self.cleaned_data.get("wifi_security") or self.instance.wifi_security or "WPA"

    def clean_background(self) -> str:
        background = self.cleaned_data["background"]
        if not COLOUR.match(background):
            raise forms.ValidationError(
                "The background is not a colour: pick one, or write it like #111111."
            )
        return background.lower()

    def clean(self) -> dict:
        data = super().clean() or {}
        for name, words in (("ink_rate", "Ink refill"), ("ink_burst", "Ink tank size")):
            if name in data and data[name] <= 0:
                self.add_error(name, f"{words} must be more than 0, or phones could never draw.")
        security, password = data.get("wifi_security"), data.get("wifi_password", "")
        if data.get("wifi_name") and security in ("WPA", "WEP") and not password:
            self.add_error(
                "wifi_password",
                f"A {security} network needs its password; for an open network choose "
                "“None (open network)”.",
            )
        if security == "WPA" and password and not 8 <= len(password) <= 63:
            self.add_error("wifi_password", "A WPA password has 8 to 63 characters.")
        return data


@admin.register(Exhibit)
class ExhibitAdmin(admin.ModelAdmin):
    """The single settings row: saving it pushes the settings live everywhere."""

    form = ExhibitForm
    change_form_template = "admin/projector/exhibit/change_form.html"
    readonly_fields = EXHIBIT_READONLY
    fieldsets = EXHIBIT_FIELDSETS  # type: ignore[assignment]  # plain tuples, as Django reads them

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """There is one exhibit: the list goes straight to its form."""
        exhibit = Exhibit.load()
        return HttpResponseRedirect(reverse("admin:core_exhibit_change", args=[exhibit.pk]))

    def save_model(self, request, obj, form, change) -> None:
        exhibit_update(exhibit=obj)
        messages.info(request, "The new settings reach every phone and wall within seconds.")

    def get_urls(self):
        own = [
            path("pause/", self.admin_site.admin_view(self.pause_view), name="exhibit-pause"),
            path("resume/", self.admin_site.admin_view(self.resume_view), name="exhibit-resume"),
            path("wall-now/", self.admin_site.admin_view(self.wall_now_view), name="wall-now"),
            path(
                "wall-now.json",
                self.admin_site.admin_view(self.wall_now_data),
                name="wall-now-data",
            ),
        ]
        return own + super().get_urls()

    def _pause(self, request, *, paused: bool):
        if request.method != "POST":
            return HttpResponse("Pause and resume with a POST from the admin.", status=405)
        if not self.has_change_permission(request):
            return HttpResponse("You may not change the exhibit.", status=403)
        exhibit_pause(paused=paused)
        self.message_user(request, "Drawing is paused." if paused else "Drawing is live again.")
        return HttpResponseRedirect(admin_next(request, "admin:core_exhibit_changelist"))

    def pause_view(self, request):
        """POST: phones stop drawing (the wall keeps its picture)."""
        return self._pause(request, paused=True)

    def resume_view(self, request):
        """POST: phones draw again."""
        return self._pause(request, paused=False)

    def wall_now_view(self, request):
        """The console under its old address (the admin's front page is the console)."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not view the exhibit.", status=403)
        return self.admin_site.index(request)

    def wall_now_data(self, request):
        """What the Wall now page polls: sheets and this process's numbers."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        exhibit = Exhibit.load()
        return JsonResponse(
            {
                "paused": exhibit.paused,
                "delay_seconds": exhibit.delay_seconds,
                "process": process_numbers(),
                "sheets": [
                    {
                        "sheet": s.pk,
                        "current": s.is_current,
                        "strokes": s.stroke_count,
                        "segments": s.segment_count,
                        "started_at": s.started_at.isoformat(),
                        "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                    }
                    for s in wall_now_sheets()
                ],
            }
        )


def wall_now_sheets() -> list[Sheet]:
    return list(sheets_counted(Sheet.objects.order_by("-id"))[:WALL_NOW_SHEETS])
