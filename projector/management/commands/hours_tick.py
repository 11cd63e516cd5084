"""`manage.py hours_tick [--now ISO-TIME]`: apply the opening or closing that is due,
once (for a cron job, or to test a schedule with a chosen clock)."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projector.hours import hours_tick


class Command(BaseCommand):
    help = "Apply the opening or closing that is due now (or at --now), exactly once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", help="The clock to use, as an ISO time (default: now).")

    def handle(self, *args, now: str | None = None, **options) -> None:
        moment = timezone.now()
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now is not an ISO time: {now}") from error
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        applied = hours_tick(moment)
        self.stdout.write(
            f"applied {applied.kind} due {applied.at.isoformat()}" if applied else "nothing due"
        )
