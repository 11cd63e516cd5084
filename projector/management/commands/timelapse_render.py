"""`manage.py timelapse_render <id>`: render a queued timelapse (the admin starts this
in a low-priority child process; it can also be run by hand to retry one)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from projector.timelapse import timelapse_render


class Command(BaseCommand):
    help = "Render a queued timelapse film and store it on its row."

    def add_arguments(self, parser) -> None:
        parser.add_argument("job", type=int, help="The Timelapse row's id.")

    def handle(self, *args, job: int, **options) -> None:
        done = timelapse_render(job_id=job)
        size = len(done.data or b"")
        self.stdout.write(f"timelapse {done.pk}: {done.frames} frames, {size} bytes")
