# The museum-safe delay is in effect and in the settings form: its help text says so.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projector", "0008_exhibit_wall_languages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exhibit",
            name="delay_seconds",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Museum-safe delay: strokes reach the wall this many seconds after "
                "they are drawn (up to 600); 0 is off. Meanwhile the console shows them as "
                "pending, and removing a phone's strokes there means no visitor ever sees them.",
            ),
        ),
    ]
