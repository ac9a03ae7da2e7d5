"""On PostgreSQL, rollup pages keep 30% free, so that ingest's updates of a bucket's row can
stay on its page (HOT updates: no new entry in each of the table's four indexes, which the
row's lock then has to step over until vacuum). Only pages written from now on keep the room;
the other databases update in place."""

from django.db import migrations


def fillfactor(percent: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE calls_rollup SET (fillfactor = {percent})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0011_rollup_weeks"),
    ]

    operations = [migrations.RunPython(fillfactor(70), fillfactor(100))]
