"""On MariaDB, store a call's stats and its log compressed, as PostgreSQL does by itself.

PostgreSQL compresses any value over about 2 KB (TOAST); MariaDB stores text as it is, so a
call took about three times the room there. MariaDB's column compression (10.3 and later)
compresses each value over `column_compression_threshold` (100 bytes) with zlib, and only
the columns that hold the bulk: the histogram and the log. Lists never read either, so they
pay nothing; a read of one call inflates its own values. Other columns stay as they are: ids,
app names and paths are read by every index, and an error is short. The models know nothing
of it (the attribute means nothing to the other databases, nor to MySQL, which lacks it), so
this migration changes the MariaDB schema only. It rebuilds both tables, holding writes to
them meanwhile. A later migration that alters one of these columns must state COMPRESSED
again on MariaDB.
"""

from django.db import migrations

# Each column as Django made it on MariaDB, without COMPRESSED; the CHECK is Django's, for JSON.
COLUMNS = {
    "calls_call": "stats longtext {} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
    " CHECK (json_valid(stats))",
    "calls_calllog": "text longtext {} NOT NULL",
}


def alter(compressed: bool):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "mysql" or not connection.mysql_is_mariadb:
            return
        with connection.cursor() as cursor:
            for table, column in COLUMNS.items():
                attribute = "COMPRESSED" if compressed else ""
                cursor.execute(f"ALTER TABLE {table} MODIFY {column.format(attribute)}")

    return run


class Migration(migrations.Migration):
    atomic = False  # MariaDB commits each ALTER TABLE anyway
    dependencies = [("calls", "0008_outliers")]

    operations = [migrations.RunPython(alter(compressed=True), alter(compressed=False))]
