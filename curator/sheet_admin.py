"""The archive in the admin: every sheet, never deleted; its export (SVG, PNG), replay
on the wall, timelapse films, and the wall's reset.

Every action is a POST through the stock admin (staff login, CSRF, model
permissions) and calls a service in projector.moderation or projector.timelapse.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.models import Sheet
from curator.console import REPLAY_SPEEDS, replay_url, sheet_picture_svg, sheets_with_phones
from curator.redirects import admin_next
from projector.export import PNG_WIDTH, sheet_png, sheet_svg
from projector.models import Timelapse
from projector.moderation import exhibit_reset
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

THUMB_WIDTH = 320  # a sheet in the archive's gallery


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


def _timelapse_json(job: Timelapse) -> dict:
    body = timelapse_status(job)
    if body["status"] == Timelapse.DONE:
        body["file"] = reverse("admin:timelapse-file", args=[job.pk])
    return body
