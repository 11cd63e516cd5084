# The wall budget's default, from the wall page's measured ceiling (make bench-wall).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_exhibit_phone_view'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exhibit',
            name='wall_budget',
            field=models.PositiveIntegerField(default=3000, help_text="Points the wall takes per tick (40 ticks a second), shared fairly among strokes and among the server's processes. 3000 is under what the wall page draws at 55 frames a second (make bench-wall)."),
        ),
    ]
