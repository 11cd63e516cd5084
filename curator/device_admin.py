"""Phones in the admin: who drew what, and the curator's block, unblock and
"remove this visitor's strokes" actions (services in projector.moderation)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import CharField, Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from core.models import Device, Segment, Sheet
from core.sheets import sheet_current
from curator.console import device_thumbnail_svg
from curator.redirects import admin_next
from projector.moderation import device_block, device_strokes_remove, device_unblock


def _strokes():
    """Distinct strokes: a stroke is (client, stroke number)."""
    key = Concat("client", Value(":"), Cast("stroke", CharField()), output_field=CharField())
    return Count(key, distinct=True)


def _per_device(queryset, aggregate):
    """A correlated subquery: one aggregate over this device's visible segments."""
    return Subquery(
        queryset.filter(device=OuterRef("pk"), removed=False)
        .order_by()
        .values("device")
        .annotate(value=aggregate)
        .values("value")[:1]
    )


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Phones by their device cookie; blocking is per phone, never per IP."""

    list_display = (
        "id",
        "thumbnail",
        "colour",
        "first_seen",
        "last_drew",
        "blocked",
        "strokes",
        "strokes_now",
    )
    list_filter = ("blocked",)
    search_fields = ("id",)
    readonly_fields = ("id", "first_seen", "last_seen", "blocked")
    fields = ("id", "color", "first_seen", "last_seen", "blocked")
    actions = ("block", "unblock", "remove_strokes")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the strokes keep pointing at it

    def get_queryset(self, request):
        segments = Segment.objects.all()
        current = sheet_current()
        return (
            super()
            .get_queryset(request)
            .annotate(
                stroke_count=Coalesce(
                    _per_device(segments, _strokes()),
                    0,
                    output_field=IntegerField(),
                ),
                stroke_now_count=Coalesce(
                    _per_device(segments.filter(sheet=current), _strokes()),
                    0,
                    output_field=IntegerField(),
                ),
                last_drew_at=_per_device(segments, Max("created_at")),
                # Nothing stores Device.color yet: show the colour it last drew with.
                drew_color=Subquery(
                    segments.filter(device=OuterRef("pk")).order_by("-id").values("color")[:1]
                ),
            )
        )

    @admin.display(description="what it drew (this sheet)")
    def thumbnail(self, device: Device) -> str:
        return format_html(
            '<img src="{}" width="96" loading="lazy" alt="" class="device-thumbnail" '
            'style="background:#111;border:1px solid #888;max-width:none">',
            reverse("admin:device-thumbnail", args=[device.pk]),
        )

    @admin.display(description="colour")
    def colour(self, device: Device) -> str:
        color = device.color or getattr(device, "drew_color", None)  # annotated
        if not color:
            return "–"
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{};'
            'vertical-align:middle;border:1px solid #888"></span> {}',
            color,
            color,
        )

    @admin.display(description="last drew", ordering="last_drew_at")
    def last_drew(self, device: Device):
        return getattr(device, "last_drew_at", None)  # annotated by the queryset

    def get_urls(self):
        own = [
            path(
                "moderate/",
                self.admin_site.admin_view(self.moderate_view),
                name="device-moderate",
            ),
            path(
                "thumbnail/<path:device_id>/",
                self.admin_site.admin_view(self.thumbnail_view),
                name="device-thumbnail",
            ),
        ]
        return own + super().get_urls()

    def moderate_view(self, request):
        """POST device=…, do=remove|block|unblock (sheet=… for an archived sheet): one
        phone, from the console or a sheet's picture."""
        if request.method != "POST":
            return HttpResponse("Moderate with a POST from the admin.", status=405)
        if not self.has_change_permission(request):
            return HttpResponse("You may not moderate phones.", status=403)
        device = request.POST.get("device", "")
        action = request.POST.get("do", "")
        if not device or action not in {"remove", "block", "unblock"}:
            return HttpResponse("Say which phone and what to do.", status=400)
        short = device[:14]
        if action == "remove":
            sheet_id = request.POST.get("sheet")
            sheet = get_object_or_404(Sheet, pk=sheet_id) if sheet_id else None
            hidden = device_strokes_remove(device=device, sheet=sheet)
            self.message_user(request, f"Removed {hidden} segment(s) drawn by {short}.")
        elif action == "block":
            device_block(device=device)
            self.message_user(request, f"Blocked {short}: its page closes now.")
        else:
            device_unblock(device=device)
            self.message_user(request, f"Unblocked {short}.")
        return HttpResponseRedirect(admin_next(request, "admin:core_device_changelist"))

    def thumbnail_view(self, request, device_id: str):
        """A phone's strokes on the current sheet (?sheet=N for another), as SVG."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not view phones.", status=403)
        sheet_id = request.GET.get("sheet")
        sheet = get_object_or_404(Sheet, pk=sheet_id) if sheet_id else None
        response = HttpResponse(
            device_thumbnail_svg(device=device_id, sheet=sheet), content_type="image/svg+xml"
        )
        response["Cache-Control"] = "private, max-age=5"
        return response

    @admin.display(description="strokes", ordering="stroke_count")
    def strokes(self, device: Device) -> int:
        return getattr(device, "stroke_count", 0)  # annotated by the queryset

    @admin.display(description="on the wall now", ordering="stroke_now_count")
    def strokes_now(self, device: Device) -> int:
        return getattr(device, "stroke_now_count", 0)  # annotated by the queryset

    @admin.action(description="Block the selected phones", permissions=["change"])
    def block(self, request, queryset) -> None:
        ids = list(queryset.values_list("id", flat=True))
        for device in ids:
            device_block(device=device)
        self.message_user(request, f"Blocked {len(ids)} phone(s); their connections close now.")

    @admin.action(description="Unblock the selected phones", permissions=["change"])
    def unblock(self, request, queryset) -> None:
        ids = list(queryset.values_list("id", flat=True))
        for device in ids:
            device_unblock(device=device)
        self.message_user(request, f"Unblocked {len(ids)} phone(s).")

    @admin.action(
        description="Remove the selected phones' strokes from the wall", permissions=["change"]
    )
    def remove_strokes(self, request, queryset) -> None:
        hidden = sum(
            device_strokes_remove(device=device) for device in queryset.values_list("id", flat=True)
        )
        self.message_user(
            request, f"Removed {hidden} segment(s) from the current sheet; the wall redraws."
        )
