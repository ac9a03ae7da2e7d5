"""On MariaDB/MySQL, compare call ids, app names and paths byte for byte, as PostgreSQL and
SQLite do.

MariaDB's default utf8mb4 collation ignores case, so call `c1` and `C1` would be one id, and
app `myapp` would also list `MYAPP`'s calls; Fn's ids, app names and paths are case-sensitive.
The models leave the collation alone (utf8mb4_bin means nothing to the other databases), so
this migration changes the MariaDB/MySQL schema only. Error and log texts keep the default,
so the admin still searches them ignoring case. A later migration that alters one of these
columns must state the collation again on MariaDB/MySQL.
"""

from django.db import migrations

# (table, column definition) in the order they are changed.
COLUMNS = [
    ("calls_app", "name varchar(255) NOT NULL"),
    ("calls_call", "id varchar(255) NOT NULL"),
    ("calls_call", "app_name varchar(255) NOT NULL"),
    ("calls_call", "path varchar(256) NOT NULL"),
    ("calls_calllog", "id varchar(255) NOT NULL"),
]
# (table, column, referenced table, referenced column): MariaDB refuses to change the
# collation of a column a foreign key joins, even with foreign_key_checks off.
FOREIGN_KEYS = [
    ("calls_call", "app_name", "calls_app", "name"),
    ("calls_calllog", "id", "calls_call", "id"),
]


def binary_collation(apps, schema_editor):
    if schema_editor.connection.vendor != "mysql":
        return
    names = {}
    with schema_editor.connection.cursor() as cursor:
        for table, column, _, _ in FOREIGN_KEYS:
            cursor.execute(
                "SELECT CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE"
                " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s"
                " AND REFERENCED_TABLE_NAME IS NOT NULL",
                [table, column],
            )
            names[table, column] = cursor.fetchone()[0]
    for table, column, _, _ in FOREIGN_KEYS:
        schema_editor.execute(f"ALTER TABLE {table} DROP FOREIGN KEY {names[table, column]}")
    for table, definition in COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} MODIFY {definition} COLLATE utf8mb4_bin")
    for table, column, target, target_column in FOREIGN_KEYS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {names[table, column]} FOREIGN KEY ({column})"
            f" REFERENCES {target} ({target_column})"
        )


class Migration(migrations.Migration):
    atomic = False  # MariaDB commits each ALTER TABLE anyway, and Django refuses DDL in one
    dependencies = [("calls", "0002_api_token")]

    operations = [migrations.RunPython(binary_collation, migrations.RunPython.noop)]
