"""Sorted lists (calls.outliers): each call's run time in microseconds and peak memory share,
derived on every write from then on (calls.fields), filled in here for the calls already
stored, then the indexes that sort on them (built once, after the backfill)."""

from django.db import migrations, models, transaction

from calls.fields import MemoryShareField, MicrosecondsField

BATCH = 2000


def backfill(apps, schema_editor):
    """Each batch its own short transaction, in id order, so a big table is never locked
    whole and an interrupted run can simply be started again."""
    Call = apps.get_model("calls", "Call")
    # The live fields' rules (the historical model has plain columns).
    duration, share = MicrosecondsField(), MemoryShareField()
    duration.set_attributes_from_name("duration_us")
    share.set_attributes_from_name("peak_mem_share")
    connection = schema_editor.connection
    table = connection.ops.quote_name(Call._meta.db_table)
    last = ""
    columns = ("id", "started_at", "completed_at", "stats")
    calls = Call.objects.using(connection.alias)
    while rows := list(calls.filter(id__gt=last).order_by("id").only(*columns)[:BATCH]):
        for row in rows:
            duration.pre_save(row, False)
            share.pre_save(row, False)
        # One UPDATE per call, sent together (bulk_update's CASE grows with the batch
        # squared).
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET duration_us = %s, peak_mem_share = %s WHERE id = %s",
                [(row.duration_us, row.peak_mem_share, row.id) for row in rows],
            )
        last = rows[-1].id


class Migration(migrations.Migration):
    atomic = False  # the backfill commits batch by batch

    dependencies = [
        ('calls', '0007_rollups'),
    ]

    operations = [
        migrations.AddField(
            model_name='call',
            name='duration_us',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='call',
            name='peak_mem_share',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(fields=['app', 'duration_us', 'id', 'created_at'], name='call_app_duration'),
        ),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(fields=['app', 'path', 'duration_us', 'id'], name='call_app_path_duration'),
        ),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(fields=['app', 'peak_mem_usage', 'id', 'created_at'], name='call_app_mem'),
        ),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(fields=['app', 'path', 'peak_mem_usage', 'id'], name='call_app_path_mem'),
        ),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(fields=['app', 'peak_cpu_total', 'id', 'created_at'], name='call_app_cpu'),
        ),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(fields=['app', 'path', 'peak_cpu_total', 'id'], name='call_app_path_cpu'),
        ),
    ]
