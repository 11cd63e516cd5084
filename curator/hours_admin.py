"""Opening hours in the admin: the week, one row a day, and the one-off closed days;
the wall opens and closes with them (projector.hours)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models
from django.utils import timezone

from projector.hours import hours_next
from projector.models import ClosedDay, OpeningHours, ScheduleState


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
