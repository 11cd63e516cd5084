"""Device (from controller), Exhibit, Sheet and Segment (from projector) join core.

State only: the tables stay as they were (Meta.db_table), so an existing database
changes nothing but the content types, which are relabelled so the curators'
permissions and the admin's history follow the models. On a fresh database the old
apps' migrations create the tables first (the dependencies below), and this claims
them; controller 0002 and projector 0010 then forget them.
"""

import django.db.models.deletion
from django.db import migrations, models

import core.models

MOVED = {"controller": ["device"], "projector": ["exhibit", "sheet", "segment"]}


def content_types_to_core(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, names in MOVED.items():
        ContentType.objects.filter(app_label=app_label, model__in=names).update(app_label="core")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, names in MOVED.items():
        ContentType.objects.filter(app_label="core", model__in=names).update(app_label=app_label)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("controller", "0001_initial"),
        ("projector", "0009_exhibit_delay_help"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Device',
                    fields=[
                        ('id', models.CharField(max_length=64, primary_key=True, serialize=False)),
                        ('color', models.CharField(blank=True, max_length=7)),
                        ('first_seen', models.DateTimeField(auto_now_add=True)),
                        ('last_seen', models.DateTimeField(auto_now=True)),
                        ('blocked', models.BooleanField(default=False)),
                    ],
                    options={
                        'db_table': 'controller_device',
                        'ordering': ['-last_seen'],
                    },
                ),
                migrations.CreateModel(
                    name='Exhibit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(default='Draw on the wall', max_length=120)),
                        ('invitation', models.CharField(default='Scan the code and draw with your finger.', max_length=200)),
                        ('paused', models.BooleanField(default=False, help_text='Phones cannot draw while paused.')),
                        ('aspect_ratio', models.FloatField(default=1.7777777777777777, help_text='Wall width / height.')),
                        ('palette', models.JSONField(default=core.models.default_palette, help_text='Colours as #rrggbb.')),
                        ('brushes', models.JSONField(default=core.models.default_brushes, help_text="Brush widths as fractions of the wall's width.")),
                        ('background', models.CharField(default='#111111', max_length=7)),
                        ('ink_rate', models.FloatField(default=240, help_text='Points a second each phone refills.')),
                        ('ink_burst', models.FloatField(default=480, help_text='Points a phone can hold.')),
                        ('max_points', models.PositiveIntegerField(default=64, help_text='Points per message.')),
                        ('max_messages', models.PositiveIntegerField(default=60, help_text='Messages a second a phone.')),
                        ('wall_budget', models.PositiveIntegerField(default=4000, help_text='Points the wall takes per tick, shared fairly among strokes.')),
                        ('max_drawing', models.PositiveIntegerField(default=200, help_text='Phones drawing at once; the rest queue.')),
                        ('max_connections_per_device', models.PositiveIntegerField(default=3)),
                        ('fade_seconds', models.PositiveIntegerField(default=0, help_text='Old ink fades over this many seconds; 0 keeps it.')),
                        ('attract_seconds', models.PositiveIntegerField(default=120, help_text='Show the big QR code after this long without drawing.')),
                        ('delay_seconds', models.PositiveIntegerField(default=0, help_text="Museum-safe delay: strokes reach the wall this many seconds after they are drawn (up to 600); 0 is off. Meanwhile the console shows them as pending, and removing a phone's strokes there means no visitor ever sees them.")),
                        ('closed', models.BooleanField(default=False, help_text='Closed by the opening hours: the wall shows the closing message.')),
                        ('closed_message', models.CharField(default='We are closed. Come back when we open to draw on the wall.', help_text='What the wall says while the gallery is closed.', max_length=200)),
                        ('wall_languages', models.JSONField(blank=True, default=list, help_text="The wall's title and invitation show in each of these in turn while the invitation shows; none: only in the wall's own language.", verbose_name='Invitation languages')),
                        ('wifi_name', models.CharField(blank=True, help_text="The venue's Wi-Fi network (SSID) visitors join. Empty: the wall and the poster show no Wi-Fi code.", max_length=32, verbose_name='Wi-Fi network')),
                        ('wifi_password', models.CharField(blank=True, help_text='Shown on the wall and the poster as a QR code; never sent to phones.', max_length=63, verbose_name='Wi-Fi password')),
                        ('wifi_security', models.CharField(choices=[('WPA', 'WPA/WPA2/WPA3'), ('WEP', 'WEP'), ('nopass', 'None (open network)')], default='WPA', max_length=8, verbose_name='Wi-Fi security')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'verbose_name': 'exhibit settings',
                        'verbose_name_plural': 'exhibit settings',
                        'db_table': 'projector_exhibit',
                    },
                ),
                migrations.CreateModel(
                    name='Sheet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('aspect_ratio', models.FloatField(blank=True, null=True)),
                        ('background', models.CharField(blank=True, max_length=7)),
                    ],
                    options={
                        'db_table': 'projector_sheet',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Segment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('device', models.CharField(max_length=64)),
                        ('client', models.CharField(max_length=32)),
                        ('seq', models.BigIntegerField()),
                        ('stroke', models.BigIntegerField()),
                        ('color', models.CharField(max_length=7)),
                        ('width', models.FloatField()),
                        ('points', models.JSONField()),
                        ('is_start', models.BooleanField(default=False)),
                        ('is_end', models.BooleanField(default=False)),
                        ('origin', models.CharField(help_text='The server process that mixed it.', max_length=32)),
                        ('frame_seq', models.BigIntegerField()),
                        ('removed', models.BooleanField(default=False, help_text='Hidden by the curator.')),
                        ('created_at', models.DateTimeField()),
                        ('sheet', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='segments', to='core.sheet')),
                    ],
                    options={
                        'db_table': 'projector_segment',
                        'indexes': [models.Index(fields=['device'], name='segment_device'), models.Index(fields=['sheet', 'id'], name='projector_s_sheet_i_4e0658_idx'), models.Index(fields=['origin', 'frame_seq'], name='projector_s_origin_5c7b6f_idx')],
                        'constraints': [models.UniqueConstraint(fields=('client', 'seq'), name='segment_identity')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_to_core, content_types_back),
    ]
