"""The drawing both sides share: the exhibit's settings, sheets (one canvas between two
resets), the stored segments every wall is rebuilt from, and the phones that drew them.

These were projector's and controller's models; they keep their tables (Meta.db_table),
so moving them here changed no database (migrations 0001 here and the state-only
deletions in controller and projector; docs/decisions.md, "One core")."""

from __future__ import annotations

from django.db import models

from core.frames import segment_key

DEFAULT_PALETTE = [
    "#f94144",
    "#f3722c",
    "#f8961e",
    "#f9c74f",
    "#90be6d",
    "#43aa8b",
    "#4d908e",
    "#277da1",
    "#577590",
    "#9b5de5",
    "#f15bb5",
    "#ffffff",
]
DEFAULT_BRUSHES = [0.003, 0.006, 0.012, 0.024]


def default_palette() -> list[str]:
    return list(DEFAULT_PALETTE)


def default_brushes() -> list[float]:
    return list(DEFAULT_BRUSHES)


class Exhibit(models.Model):
    """The curator's live settings: a single row, read through `Exhibit.load()`."""

    title = models.CharField(max_length=120, default="Draw on the wall")
    invitation = models.CharField(
        max_length=200, default="Scan the code and draw with your finger."
    )
    paused = models.BooleanField(default=False, help_text="Phones cannot draw while paused.")
    aspect_ratio = models.FloatField(default=16 / 9, help_text="Wall width / height.")
    palette = models.JSONField(default=default_palette, help_text="Colours as #rrggbb.")
    brushes = models.JSONField(
        default=default_brushes, help_text="Brush widths as fractions of the wall's width."
    )
    background = models.CharField(max_length=7, default="#111111")
    ink_rate = models.FloatField(default=240, help_text="Points a second each phone refills.")
    ink_burst = models.FloatField(default=480, help_text="Points a phone can hold.")
    max_points = models.PositiveIntegerField(default=64, help_text="Points per message.")
    max_messages = models.PositiveIntegerField(default=60, help_text="Messages a second a phone.")
    wall_budget = models.PositiveIntegerField(
        default=3000,
        help_text="Points the wall takes per tick (40 ticks a second), shared fairly among "
        "strokes and among the server's processes. 3000 is under what the wall page draws "
        "at 55 frames a second (make bench-wall).",
    )
    max_drawing = models.PositiveIntegerField(
        default=200, help_text="Phones drawing at once; the rest queue."
    )
    max_connections_per_device = models.PositiveIntegerField(default=3)
    fade_seconds = models.PositiveIntegerField(
        default=0, help_text="Old ink fades over this many seconds; 0 keeps it."
    )
    attract_seconds = models.PositiveIntegerField(
        default=120, help_text="Show the big QR code after this long without drawing."
    )
    delay_seconds = models.PositiveIntegerField(
        default=0,
        help_text="Museum-safe delay: strokes reach the wall this many seconds after they "
        "are drawn (up to 600); 0 is off. Meanwhile the console shows them as pending, and "
        "removing a phone's strokes there means no visitor ever sees them.",
    )
    phone_view = models.BooleanField(
        "The wall on phones",
        default=True,
        help_text="Phones show the wall's picture faintly behind the visitor's own strokes, "
        "so a visitor far from the wall sees where the others drew.",
    )
    closed = models.BooleanField(
        default=False, help_text="Closed by the opening hours: the wall shows the closing message."
    )
    closed_message = models.CharField(
        max_length=200,
        default="We are closed. Come back when we open to draw on the wall.",
        help_text="What the wall says while the gallery is closed.",
    )
    wall_languages = models.JSONField(
        "Invitation languages",
        default=list,
        blank=True,
        help_text="The wall's title and invitation show in each of these in turn while the "
        "invitation shows; none: only in the wall's own language.",
    )
    wifi_name = models.CharField(
        "Wi-Fi network",
        max_length=32,
        blank=True,
        help_text="The venue's Wi-Fi network (SSID) visitors join. Empty: the wall and the "
        "poster show no Wi-Fi code.",
    )
    wifi_password = models.CharField(
        "Wi-Fi password",
        max_length=63,
        blank=True,
        help_text="Shown on the wall and the poster as a QR code; never sent to phones.",
    )
    wifi_security = models.CharField(
        "Wi-Fi security",
        max_length=8,
        choices=[("WPA", "WPA/WPA2/WPA3"), ("WEP", "WEP"), ("nopass", "None (open network)")],
        default="WPA",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "projector_exhibit"
        verbose_name = "exhibit settings"
        verbose_name_plural = "exhibit settings"

    def __str__(self) -> str:
        return self.title

    @classmethod
    def load(cls) -> Exhibit:
        exhibit, _ = cls.objects.get_or_create(pk=1)
        return exhibit


class Sheet(models.Model):
    """One canvas between two resets. Old sheets are archived, never deleted."""

    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The canvas it was drawn on, so an archived sheet exports as it looked even after
    # the curator changes the exhibit. Empty on sheets from before these were kept.
    aspect_ratio = models.FloatField(null=True, blank=True)
    background = models.CharField(max_length=7, blank=True)

    class Meta:
        db_table = "projector_sheet"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Sheet {self.pk}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class Segment(models.Model):
    """The points of one accepted phone message, as the wall drew them.

    Its identity is (client, seq): a wall merges a stored sheet with live frames by
    it, and the unique constraint makes a resent message harmless.
    """

    # Every index is work for each of a crowd's messages (docs/decisions.md, "Storage"):
    # `sheet` has none of its own, ("sheet", "id") starts with it; `device` is indexed
    # in Meta, which on PostgreSQL spares the extra LIKE index db_index would add.
    sheet = models.ForeignKey(
        Sheet, on_delete=models.PROTECT, related_name="segments", db_index=False
    )
    device = models.CharField(max_length=64)
    client = models.CharField(max_length=32)
    seq = models.BigIntegerField()
    stroke = models.BigIntegerField()
    color = models.CharField(max_length=7)
    width = models.FloatField()
    points = models.JSONField()
    is_start = models.BooleanField(default=False)
    is_end = models.BooleanField(default=False)
    origin = models.CharField(max_length=32, help_text="The server process that mixed it.")
    frame_seq = models.BigIntegerField()
    removed = models.BooleanField(default=False, help_text="Hidden by the curator.")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "projector_segment"
        constraints = [
            models.UniqueConstraint(fields=["client", "seq"], name="segment_identity"),
        ]
        indexes = [
            models.Index(fields=["device"], name="segment_device"),
            models.Index(fields=["sheet", "id"]),
            models.Index(fields=["origin", "frame_seq"]),
        ]

    def __str__(self) -> str:
        return segment_key(self.client, self.seq)


class Device(models.Model):
    """A phone, known by its signed device cookie; blocking is per device, not per IP."""

    id = models.CharField(primary_key=True, max_length=64)
    color = models.CharField(max_length=7, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    blocked = models.BooleanField(default=False)

    class Meta:
        db_table = "controller_device"
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.id
