"""Exhibit, Sheet and Segment moved to core (core 0001): forget them here, keep their
tables; a timelapse's sheet is core's now (the same table, so the same foreign key)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("projector", "0009_exhibit_delay_help"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="timelapse",
                    name="sheet",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="timelapses",
                        to="core.sheet",
                    ),
                ),
                migrations.DeleteModel(name="Segment"),
                migrations.DeleteModel(name="Sheet"),
                migrations.DeleteModel(name="Exhibit"),
            ],
        ),
    ]
