"""On PostgreSQL, the rollups' histograms in json columns instead of jsonb (calls.fields.
SketchField says why). One ALTER TABLE for the four, so that the table is rewritten once; the
other databases keep their column as it is (SQLite's text, MariaDB's and MySQL's JSON)."""

import calls.fields
from django.db import migrations

SKETCHES = ("duration", "mem_share", "peak_cpu", "peak_mem")


def column_type(name: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {name} USING {c}::{name}" for c in SKETCHES)
        schema_editor.execute(f"ALTER TABLE calls_rollup {changes}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0009_mariadb_compression"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="rollup", name=name, field=calls.fields.SketchField(default=dict)
                )
                for name in SKETCHES
            ],
            database_operations=[migrations.RunPython(column_type("json"), column_type("jsonb"))],
        ),
    ]
