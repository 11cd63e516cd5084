"""The curator's admin for the wall: the exhibit settings (a single row, live), the
sheets (archive, export, replay, reset) and the "Wall now" page.

Every action is a POST through the stock admin (staff login, CSRF, model
permissions) and calls a service in projector.moderation.
"""

from __future__ import annotations

import logging
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from core.models import Exhibit, Sheet
from curator.console import (
    console_context,
    sheet_picture_svg,
    sheets_with_phones,
)
from curator.exhibit_fields import AspectRatioField, BrushesField, DelayField, PaletteField
from installation.runtime import runtime_peek
from projector.export import PNG_WIDTH, sheet_png, sheet_svg
from projector.hours import hours_next
from projector.models import ClosedDay, OpeningHours, ScheduleState, Timelapse
from projector.moderation import exhibit_pause, exhibit_reset, exhibit_update
from projector.timelapse import (
    FPS as TIMELAPSE_FPS,
)
from projector.timelapse import (
    FPS_CHOICES,
    TimelapseError,
    timelapse_start,
    timelapse_status,
)
from projector.timelapse import (
    SECONDS as TIMELAPSE_SECONDS,
)

log = logging.getLogger(__name__)

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
REPLAY_SPEEDS = (1, 4, 16, 60)
WALL_NOW_SHEETS = 12
CONSOLE_SHEETS = 5
THUMB_WIDTH = 320  # a sheet in the archive's gallery


def sheets_counted(queryset: QuerySet | None = None) -> QuerySet:
    """Sheets with their visible stroke and segment counts."""
    queryset = queryset if queryset is not None else Sheet.objects.all()
    visible = Q(segments__removed=False)
    stroke_key = Concat(
        "segments__client",
        Value(":"),
        Cast("segments__stroke", CharField()),
        output_field=CharField(),
    )
    return queryset.annotate(
        segment_count=Count("segments", filter=visible),
        stroke_count=Count(stroke_key, filter=visible, distinct=True),
    )


def admin_next(request, default: str) -> str:
    """Where to go after a curator action: back to an admin page, never elsewhere."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    if safe and target.startswith(reverse("admin:index")):
        return target
    return reverse(default)


def replay_url(sheet_id: int, speed: int) -> str:
    return f"{reverse('wall')}?replay={sheet_id}&speed={speed}"


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


def process_numbers() -> dict | None:
    """This process's live numbers, for the page's first paint (the page then adds up
    every process's presence reports). None if this process has no runtime, or its
    shape is not one this knows: the console must never fail for a number."""
    runtime = runtime_peek()
    if runtime is None:
        return None
    try:
        stats = runtime.stats()
        return {"origin": stats.origin, "connected": stats.phones, "drawing": stats.drawing}
    except Exception:
        log.warning("this process's live numbers are not readable", exc_info=True)
        return None


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


@admin.register(Sheet)
class SheetAdmin(admin.ModelAdmin):
    """The archive: every sheet, never deleted; export, replay, and reset."""

    readonly_fields = (
        "started_at",
        "ended_at",
        "visible_strokes",
        "visible_segments",
        "phones",
        "downloads",
        "replay",
    )
    fields = readonly_fields
    list_display = ("__str__", "current", *readonly_fields)
    list_display_links = ("__str__",)
    change_list_template = "admin/projector/sheet/change_list.html"
    change_form_template = "admin/projector/sheet/change_form.html"
    actions = None

    list_per_page = 24

    def get_queryset(self, request):
        latest_film = (
            Timelapse.objects.filter(sheet=OuterRef("pk"), status=Timelapse.DONE)
            .order_by("-id")
            .values("id")[:1]
        )
        return sheets_with_phones(super().get_queryset(request)).annotate(
            latest_timelapse=Subquery(latest_film)
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archived, never deleted

    @admin.display(description="phones", ordering="phone_count")
    def phones(self, sheet: Sheet) -> int:
        return getattr(sheet, "phone_count", 0)  # annotated by the queryset

    @admin.display(boolean=True, description="on the wall")
    def current(self, sheet: Sheet) -> bool:
        return sheet.is_current

    @admin.display(description="strokes", ordering="stroke_count")
    def visible_strokes(self, sheet: Sheet) -> int:
        return getattr(sheet, "stroke_count", 0)  # annotated by the queryset

    @admin.display(description="segments", ordering="segment_count")
    def visible_segments(self, sheet: Sheet) -> int:
        return getattr(sheet, "segment_count", 0)  # annotated by the queryset

    @admin.display(description="export")
    def downloads(self, sheet: Sheet) -> str:
        return format_html(
            '<a href="{}">SVG</a> · <a href="{}">PNG</a>',
            reverse("admin:sheet-svg", args=[sheet.pk]),
            reverse("admin:sheet-png", args=[sheet.pk]),
        )

    @admin.display(description="replay on the wall")
    def replay(self, sheet: Sheet) -> str:
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank" rel="noopener">×{}</a>',
            ((replay_url(sheet.pk, speed), speed) for speed in REPLAY_SPEEDS),
        )

    def get_urls(self):
        own = [
            path("reset/", self.admin_site.admin_view(self.reset_view), name="sheet-reset"),
            path(
                "<int:sheet_id>/svg/", self.admin_site.admin_view(self.svg_view), name="sheet-svg"
            ),
            path(
                "<int:sheet_id>/png/", self.admin_site.admin_view(self.png_view), name="sheet-png"
            ),
            path(
                "<int:sheet_id>/thumbnail.svg",
                self.admin_site.admin_view(self.thumbnail_view),
                name="sheet-thumbnail",
            ),
            path(
                "<int:sheet_id>/timelapse/",
                self.admin_site.admin_view(self.timelapse_start_view),
                name="sheet-timelapse",
            ),
            path(
                "timelapse/<int:job_id>/",
                self.admin_site.admin_view(self.timelapse_status_view),
                name="timelapse-status",
            ),
            path(
                "timelapse/<int:job_id>/file/",
                self.admin_site.admin_view(self.timelapse_file_view),
                name="timelapse-file",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {
            "title": "The archive: every picture the wall has shown",
            "can_reset": self.has_change_permission(request),
            "speeds": REPLAY_SPEEDS,
            "fps_choices": FPS_CHOICES,
            "timelapse_seconds": TIMELAPSE_SECONDS,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sheet = Sheet.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {
            "speeds": REPLAY_SPEEDS,
            "wall_url": reverse("wall"),
            "picture": sheet_picture_svg(sheet=sheet) if sheet else "",
            "can_change_devices": request.user.has_perm("core.change_device"),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def thumbnail_view(self, request, sheet_id: int):
        """The sheet as a small SVG for the gallery."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not view sheets.", status=403)
        sheet = get_object_or_404(Sheet, pk=sheet_id)
        svg = sheet_picture_svg(sheet=sheet, width=THUMB_WIDTH, tagged=False)
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = (
            "private, max-age=5" if sheet.is_current else "private, max-age=60"
        )
        return response

    def timelapse_start_view(self, request, sheet_id: int):
        """POST seconds=, fps=: start rendering a film of the sheet; JSON for the page's
        script, a redirect to the archive otherwise."""
        if request.method != "POST":
            return HttpResponse("Start a timelapse with a POST from the admin.", status=405)
        if not self.has_view_permission(request):
            return HttpResponse("You may not export sheets.", status=403)
        sheet = get_object_or_404(Sheet, pk=sheet_id)
        try:
            job = timelapse_start(
                sheet=sheet,
                seconds=int(request.POST.get("seconds", TIMELAPSE_SECONDS)),
                fps=int(request.POST.get("fps", TIMELAPSE_FPS)),
            )
        except (TimelapseError, ValueError) as error:
            if request.headers.get("Accept") == "application/json":
                return JsonResponse({"error": str(error)}, status=400)
            self.message_user(request, str(error), level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:core_sheet_changelist"))
        if request.headers.get("Accept") == "application/json":
            return JsonResponse(_timelapse_json(job), status=202)
        self.message_user(request, f"The timelapse of {sheet} is being made.")
        return HttpResponseRedirect(reverse("admin:core_sheet_changelist"))

    def timelapse_status_view(self, request, job_id: int):
        """A film's progress, for the progress bar."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        job = get_object_or_404(Timelapse.objects.defer("data"), pk=job_id)
        response = JsonResponse(_timelapse_json(job))
        response["Cache-Control"] = "no-store"
        return response

    def timelapse_file_view(self, request, job_id: int):
        """Download a finished film (animated WebP)."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not export sheets.", status=403)
        job = get_object_or_404(Timelapse, pk=job_id, status=Timelapse.DONE)
        response = HttpResponse(bytes(job.data or b""), content_type="image/webp")
        name = f"sheet-{job.sheet_id}-timelapse-{job.seconds}s.webp"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def reset_view(self, request):
        """POST: archive the current sheet and start a new one."""
        if request.method != "POST":
            return HttpResponse("Reset with a POST from the admin.", status=405)
        if not self.has_change_permission(request):
            return HttpResponse("You may not reset the wall.", status=403)
        sheet = exhibit_reset()
        self.message_user(request, f"The wall is reset: {sheet} is empty and on the wall.")
        return HttpResponseRedirect(admin_next(request, "admin:core_sheet_changelist"))

    def _download(self, request, sheet_id: int, body, content_type: str, suffix: str):
        if not self.has_view_permission(request):
            return HttpResponse("You may not export sheets.", status=403)
        sheet = get_object_or_404(Sheet, pk=sheet_id)
        response = HttpResponse(body(sheet), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="sheet-{sheet.pk}.{suffix}"'
        return response

    def svg_view(self, request, sheet_id: int):
        """Download the sheet as SVG."""
        return self._download(
            request, sheet_id, lambda s: sheet_svg(sheet=s), "image/svg+xml", "svg"
        )

    def png_view(self, request, sheet_id: int):
        """Download the sheet as PNG (?width=N pixels, 3840 by default)."""
        try:
            width = int(request.GET.get("width", PNG_WIDTH))
        except ValueError:
            width = PNG_WIDTH
        return self._download(
            request, sheet_id, lambda s: sheet_png(sheet=s, width=width), "image/png", "png"
        )


def console_extra(request) -> dict:
    """The console's context on the admin's front page."""
    user = request.user
    context = console_context(process_numbers())
    exhibit = context["exhibit"]
    return {
        **context,
        "title": "Curator's console",
        "hours_url": reverse("admin:projector_openinghours_changelist"),
        "sheets": list(sheets_with_phones(Sheet.objects.order_by("-id"))[:CONSOLE_SHEETS]),
        "speeds": REPLAY_SPEEDS,
        "can_change": user.has_perm("core.change_exhibit"),
        "can_change_devices": user.has_perm("core.change_device"),
        "console_config": {
            "exhibit": {"aspect": float(exhibit.aspect_ratio), "background": exhibit.background},
            "delay_seconds": exhibit.delay_seconds,
            "ws_path": "/ws/wall/",
            "sheet_url": reverse("sheet"),
            "data_url": reverse("admin:wall-now-data"),
            "device_url": reverse("admin:core_device_changelist"),
        },
    }


def install_console(site: admin.AdminSite) -> None:
    """Make the site's front page the curator's console (the stock index with more
    context and another template; the app list stays below it)."""
    stock_index = site.index

    def index(request, extra_context=None):
        return stock_index(request, {**console_extra(request), **(extra_context or {})})

    site.index = index  # type: ignore[method-assign]  # the console is the front page
    site.index_template = "admin/projector/console.html"
    site.site_header = "The wall: curator's console"
    site.site_title = "The wall"
    site.index_title = "Curator's console"


install_console(admin.site)


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    """The week, one row a day, edited in place: the wall opens and closes with it."""

    list_display = ("day", "is_open", "opens", "closes")
    list_display_links = None
    list_editable = ("is_open", "opens", "closes")
    change_list_template = "admin/projector/openinghours/change_list.html"
    actions = None
    formfield_overrides = {
        models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")},
    }

    def has_add_permission(self, request) -> bool:
        return False  # seven rows, made by the migration

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="day", ordering="weekday")
    def day(self, row: OpeningHours) -> str:
        return row.get_weekday_display()

    def changelist_view(self, request, extra_context=None):
        state = ScheduleState.objects.filter(pk=1).first()
        extra = {
            "title": "Opening hours",
            "next_transition": hours_next(),
            "last_state": state if state and state.last_at else None,
            "time_zone": settings.TIME_ZONE,
            "closed_days": ClosedDay.objects.filter(date__gte=timezone.localdate())[:10],
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    """One-off days the gallery stays closed: no opening that day."""

    list_display = ("date", "note")
    date_hierarchy = "date"


def _timelapse_json(job: Timelapse) -> dict:
    body = timelapse_status(job)
    if body["status"] == Timelapse.DONE:
        body["file"] = reverse("admin:timelapse-file", args=[job.pk])
    return body
