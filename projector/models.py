"""The wall's own records: opening hours, closed days and timelapse films (the
exhibit, sheets and segments are core's)."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models

from core.models import Sheet

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class OpeningHours(models.Model):
    """When the gallery is open on one weekday (seven rows, one a day)."""

    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, unique=True)
    is_open = models.BooleanField("open", default=False)
    opens = models.TimeField(default=time(10, 0))
    closes = models.TimeField(default=time(18, 0))

    class Meta:
        ordering = ["weekday"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        day = self.get_weekday_display()
        if not self.is_open:
            return f"{day}: closed"
        return f"{day}: {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.is_open and self.closes <= self.opens:
            raise ValidationError(
                {
                    "closes": f"On {self.get_weekday_display()} the wall must close after it "
                    f"opens ({self.opens:%H:%M}); a day cannot run past midnight."
                }
            )


class ClosedDay(models.Model):
    """A one-off day the gallery stays closed (a holiday, an installation day)."""

    date = models.DateField(unique=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "closed day"

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}" + (f" ({self.note})" if self.note else "")


class ScheduleState(models.Model):
    """A single row: the last opening or closing applied, so each happens once across
    restarts and processes (taken under a row lock, projector.hours)."""

    last_kind = models.CharField(max_length=8, blank=True)
    last_at = models.DateTimeField(null=True, blank=True, help_text="When it was due.")
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.CharField(max_length=64, blank=True, help_text="The process.")

    def __str__(self) -> str:
        return f"{self.last_kind or 'nothing'} due {self.last_at}"


class Timelapse(models.Model):
    """A sheet as an animated WebP film, rendered off the server's event loop; the row
    carries its progress while it renders and the file once it is done."""

    QUEUED, RENDERING, DONE, FAILED = "queued", "rendering", "done", "failed"
    STATUSES = [(s, s) for s in (QUEUED, RENDERING, DONE, FAILED)]

    sheet = models.ForeignKey(Sheet, on_delete=models.PROTECT, related_name="timelapses")
    seconds = models.PositiveSmallIntegerField(default=12, help_text="Length of the film.")
    fps = models.PositiveSmallIntegerField(default=10, help_text="Frames a second.")
    width = models.PositiveSmallIntegerField(default=640, help_text="Pixels.")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1 while it renders.")
    frames = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    data = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Timelapse {self.pk} of sheet {self.sheet_id}"
