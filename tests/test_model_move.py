"""The models that moved into core (Device from controller; Exhibit, Sheet and
Segment from projector) kept their tables: a database migrated before the move keeps
its rows, finds them through core's models after it, and keeps its content types (so
the curators' permissions follow the models)."""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import Device, Exhibit, Segment, Sheet
from projector.models import Timelapse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database]

BEFORE = [("controller", "0001_initial"), ("projector", "0009_exhibit_delay_help")]
CONTENT_TYPES = ("contenttypes", "0002_remove_content_type_name")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def test_rows_written_before_the_move_are_read_through_core_after_it():
    executor = _migrate([("core", None), *BEFORE])
    old = executor.loader.project_state([*BEFORE, CONTENT_TYPES]).apps
    assert not [model for model in old.get_models() if model._meta.app_label == "core"]
    OldSheet = old.get_model("projector", "Sheet")
    sheet = OldSheet.objects.create(aspect_ratio=1.5, background="#223344")
    old.get_model("projector", "Segment").objects.create(
        sheet=sheet,
        device="phone-before",
        client="c1",
        seq=7,
        stroke=2,
        color="#abcdef",
        width=0.01,
        points=[[0.1, 0.2], [0.3, 0.4]],
        is_start=True,
        origin="p1",
        frame_seq=3,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    old.get_model("controller", "Device").objects.create(
        id="phone-before", color="#abcdef", blocked=True
    )
    old.get_model("projector", "Exhibit").objects.create(pk=1, title="Before the move")
    old.get_model("projector", "Timelapse").objects.create(sheet_id=sheet.pk)
    OldContentType = old.get_model("contenttypes", "ContentType")
    exhibit_type = OldContentType.objects.get(app_label="projector", model="exhibit").pk

    executor = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert executor.loader.applied_migrations.keys() >= {
        ("core", "0001_initial"),
        ("controller", "0002_device_to_core"),
        ("projector", "0010_exhibit_sheet_segment_to_core"),
    }
    moved = Sheet.objects.get(pk=sheet.pk)
    assert (moved.aspect_ratio, moved.background, moved.is_current) == (1.5, "#223344", True)
    segment = Segment.objects.get(client="c1", seq=7)
    assert (segment.sheet, segment.device, segment.points) == (
        moved,
        "phone-before",
        [[0.1, 0.2], [0.3, 0.4]],
    )
    assert Device.objects.get(id="phone-before").blocked is True
    assert Exhibit.load().title == "Before the move"
    assert Timelapse.objects.get().sheet == moved
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Exhibit).pk == exhibit_type
    assert not ContentType.objects.filter(app_label="projector", model="exhibit").exists()


def test_the_move_adds_no_table_and_drops_none():
    tables = set(connection.introspection.table_names())
    assert {"controller_device", "projector_exhibit", "projector_sheet", "projector_segment"} <= (
        tables
    )
    assert not any(name.startswith("core_") for name in tables)
