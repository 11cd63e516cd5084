# The curator can switch off the phones' faint view of the wall (projector.view).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='exhibit',
            name='phone_view',
            field=models.BooleanField(default=True, help_text="Phones show the wall's picture faintly behind the visitor's own strokes, so a visitor far from the wall sees where the others drew.", verbose_name='The wall on phones'),
        ),
    ]
