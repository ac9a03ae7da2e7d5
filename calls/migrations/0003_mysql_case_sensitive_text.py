"""On MariaDB/MySQL, compare call ids, app names and paths byte for byte, as PostgreSQL and
SQLite do.

MariaDB's default utf8mb4 collation ignores case (and trailing spaces), so call `c1` and `C1`
would be one id, and app `myapp` would also list `MYAPP`'s calls; Fn's ids, app names and
paths are case-sensitive. The models leave the collation alone (these names mean nothing to
the other databases), so this migration changes the MariaDB/MySQL schema only. Error and log
texts keep the default, and the admin searches ignoring case on every database. A later
migration that alters one of these columns must state the collation again on MariaDB/MySQL.
"""

from django.db import migrations

# Columns by table, in the order the tables are changed.
COLUMNS = {
    "calls_app": ["name varchar(255) NOT NULL"],
    "calls_call": [
        "id varchar(255) NOT NULL",
        "app_name varchar(255) NOT NULL",
        "path varchar(256) NOT NULL",
    ],
    "calls_calllog": ["id varchar(255) NOT NULL"],
}
# (table, column, referenced table, referenced column): MariaDB refuses to change the
# collation of a column a foreign key joins, even with foreign_key_checks off.
FOREIGN_KEYS = [
    ("calls_call", "app_name", "calls_app", "name"),
    ("calls_calllog", "id", "calls_call", "id"),
]


def binary_collation(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    # No-pad collations: the padding ones would still take "/x" and "/x " for one path.
    collation = "utf8mb4_nopad_bin" if connection.mysql_is_mariadb else "utf8mb4_0900_bin"
    with connection.cursor() as cursor:
        names = {}
        for table, column, _, _ in FOREIGN_KEYS:
            cursor.execute(
                "SELECT CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE"
                " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s"
                " AND REFERENCED_TABLE_NAME IS NOT NULL",
                [table, column],
            )
            row = cursor.fetchone()  # None when an interrupted run already dropped it
            names[table, column] = row[0] if row else f"{table}_{column}_fk_0003"
            if row:
                cursor.execute(f"ALTER TABLE {table} DROP FOREIGN KEY {row[0]}")
        # Rows written under the old collation may spell a key unlike the row it points to
        # (a call posted to app MyApp was stored under app myapp; a log for C1 kept C1 when
        # its call was c1). Spell them as the row they point to, or the keys come back broken.
        for table, column, target, target_column in FOREIGN_KEYS:
            cursor.execute(
                f"UPDATE {table} JOIN {target} ON {table}.{column} = {target}.{target_column}"
                f" SET {table}.{column} = {target}.{target_column}"
                f" WHERE BINARY {table}.{column} <> BINARY {target}.{target_column}"
            )
        for table, columns in COLUMNS.items():
            changes = ", ".join(f"MODIFY {column} COLLATE {collation}" for column in columns)
            cursor.execute(f"ALTER TABLE {table} {changes}")
        # The rows were just made to match, so the keys need no check, which would copy each
        # table and hold ingest meanwhile.
        cursor.execute("SET SESSION foreign_key_checks = 0")
        try:
            for table, column, target, target_column in FOREIGN_KEYS:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {names[table, column]}"
                    f" FOREIGN KEY ({column}) REFERENCES {target} ({target_column})"
                )
        finally:
            cursor.execute("SET SESSION foreign_key_checks = 1")


class Migration(migrations.Migration):
    atomic = False  # MariaDB commits each ALTER TABLE anyway, and Django refuses DDL in one
    dependencies = [("calls", "0002_api_token")]

    operations = [migrations.RunPython(binary_collation, migrations.RunPython.noop)]
