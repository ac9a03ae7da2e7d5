"""Rollups: calls pre-aggregated per app, path and time bucket (calls/rollups.py). Empty at
first: `manage.py rebuild_rollups` fills them from the calls already stored; ingest keeps
them from then on."""

from django.db import migrations, models


def binary_collation(apps, schema_editor):
    """As for the calls and their paths: names compare byte for byte on MariaDB/MySQL, so that
    /Hello and /hello are rolled up apart."""
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    collation = "utf8mb4_nopad_bin" if connection.mysql_is_mariadb else "utf8mb4_0900_bin"
    schema_editor.execute(
        f"ALTER TABLE calls_rollup MODIFY app_name varchar(255) NOT NULL COLLATE {collation},"
        f" MODIFY path varchar(256) NOT NULL COLLATE {collation}"
    )


class Migration(migrations.Migration):
    atomic = False  # MariaDB commits each ALTER TABLE anyway
    dependencies = [
        ('calls', '0006_admin_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='Rollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('app_name', models.CharField(max_length=255)),
                ('path', models.CharField(max_length=256)),
                ('step', models.IntegerField()),
                ('start', models.DateTimeField()),
                ('success', models.BigIntegerField(default=0)),
                ('error', models.BigIntegerField(default=0)),
                ('timeout', models.BigIntegerField(default=0)),
                ('cancelled', models.BigIntegerField(default=0)),
                ('duration', models.JSONField(default=dict)),
                ('peak_mem', models.JSONField(default=dict)),
                ('mem_share', models.JSONField(default=dict)),
                ('peak_cpu', models.JSONField(default=dict)),
                ('max_duration', models.FloatField(null=True)),
                ('max_peak_mem', models.FloatField(null=True)),
                ('max_mem_limit', models.FloatField(null=True)),
                ('max_peak_cpu', models.FloatField(null=True)),
            ],
            options={
                'indexes': [models.Index(fields=['app_name', 'step', 'start'], name='rollup_app_step_start'), models.Index(fields=['step', 'start'], name='rollup_step_start')],
                'constraints': [models.UniqueConstraint(fields=('app_name', 'path', 'step', 'start'), name='rollup_key')],
            },
        ),
        migrations.RunPython(binary_collation, migrations.RunPython.noop),
    ]
