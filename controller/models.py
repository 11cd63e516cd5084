"""Phones as the curator sees them: one row per device cookie."""

from __future__ import annotations

from django.db import models


class Device(models.Model):
    """A phone, known by its signed device cookie; blocking is per device, not per IP."""

    id = models.CharField(primary_key=True, max_length=64)
    color = models.CharField(max_length=7, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    blocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.id
