"""Device moved to core (core 0001): forget it here, keep its table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("controller", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="Device")],
        ),
    ]
