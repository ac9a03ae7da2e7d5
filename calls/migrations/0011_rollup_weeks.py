"""Rollups' histograms stored as a list of int keys and a list of counts instead of JSON objects
keyed by strings (calls.fields.SketchField says why), then week rollups (calls.rollups.WEEK)
merged from the day rows already stored, so that summaries over long windows read weeks from
the start.

Ingest keeps weeks from here on; calls stored by a server still running the code before this
migration reach their days but not their weeks, which `manage.py rebuild_rollups --since`
mends. Every rollup row is rewritten, a chunk at a time: 730,000 of them took a minute and a
half on PostgreSQL on the 2-core development machine, busy with a load beside it. Going back
deletes the weeks and writes the objects again."""

from datetime import UTC, datetime

import orjson
from django.db import migrations

SKETCHES = ("duration", "peak_mem", "mem_share", "peak_cpu")
OLD_ZERO, ZERO = "z", -(2**31)  # the zero bin's key before, and calls.sketch.ZERO
CHUNK = 2000


def rewrite(convert):
    """Every rollup's four histograms through `convert`, a chunk of rows at a time."""

    def converted(value) -> str:
        decoded = orjson.loads(value) if isinstance(value, str) else value  # psycopg decodes json
        return orjson.dumps(convert(decoded)).decode()

    def run(apps, schema_editor):
        columns = ", ".join(SKETCHES)
        assignments = ", ".join(f"{column} = %s" for column in SKETCHES)
        last = 0
        with schema_editor.connection.cursor() as cursor:
            while True:
                cursor.execute(
                    f"SELECT id, {columns} FROM calls_rollup WHERE id > %s ORDER BY id LIMIT %s",
                    [last, CHUNK],
                )
                if not (rows := cursor.fetchall()):
                    return
                cursor.executemany(
                    f"UPDATE calls_rollup SET {assignments} WHERE id = %s",
                    [[*map(converted, values), pk] for pk, *values in rows],
                )
                last = rows[-1][0]

    return run


# Each leaves a histogram already in its form as it is: on MariaDB and MySQL, where DDL commits,
# each step commits on its own, so a rerun after a failure meets rows already rewritten.
def lists(histogram: dict | list) -> list:
    if isinstance(histogram, list):
        return histogram
    bins = sorted((ZERO if key == OLD_ZERO else int(key), n) for key, n in histogram.items())
    return [[key for key, _ in bins], [n for _, n in bins]]


def objects(histogram: list | dict) -> dict:
    if isinstance(histogram, dict):
        return histogram
    keys, counts = histogram
    return {(OLD_ZERO if key == ZERO else str(key)): n for key, n in zip(keys, counts, strict=True)}


def merge_weeks(apps, schema_editor):
    # Merging is calls.rollups' own code, on the frozen model of this migration.
    from calls.rollups import rebuild_weeks

    rebuild_weeks(datetime(1970, 1, 1, tzinfo=UTC), apps.get_model("calls", "Rollup"))


def delete_weeks(apps, schema_editor):
    apps.get_model("calls", "Rollup").objects.filter(step=7 * 86400).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0010_sketch_json"),
    ]

    operations = [
        migrations.RunPython(rewrite(lists), rewrite(objects)),
        migrations.RunPython(merge_weeks, delete_weeks),
    ]
