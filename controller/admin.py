"""Phones in the admin: who drew what, and the curator's block, unblock and
"remove this visitor's strokes" actions (services in projector.moderation)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import CharField, Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.html import format_html

from controller.models import Device
from projector.models import Segment
from projector.moderation import device_block, device_strokes_remove, device_unblock
from projector.sheets import sheet_current


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

    list_display = ("id", "colour", "first_seen", "last_drew", "blocked", "strokes", "strokes_now")
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

    @admin.display(description="colour")
    def colour(self, device: Device) -> str:
        color = device.color or device.drew_color
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
        return device.last_drew_at

    @admin.display(description="strokes", ordering="stroke_count")
    def strokes(self, device: Device) -> int:
        return device.stroke_count

    @admin.display(description="on the wall now", ordering="stroke_now_count")
    def strokes_now(self, device: Device) -> int:
        return device.stroke_now_count

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
