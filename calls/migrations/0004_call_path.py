"""Each app's paths in a table of their own, so the calls list never reads DISTINCT paths
from an app's calls. Filled here from the calls already stored; ingest keeps it."""

import django.db.models.deletion
from django.db import migrations, models


def binary_collation(apps, schema_editor):
    """As migration 0003 does for the calls: names compare byte for byte on MariaDB/MySQL."""
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    collation = "utf8mb4_nopad_bin" if connection.mysql_is_mariadb else "utf8mb4_0900_bin"
    schema_editor.execute(
        f"ALTER TABLE calls_callpath MODIFY app_name varchar(255) NOT NULL COLLATE {collation},"
        f" MODIFY path varchar(256) NOT NULL COLLATE {collation}"
    )


class Migration(migrations.Migration):
    atomic = False  # MariaDB commits each ALTER TABLE anyway
    dependencies = [("calls", "0003_mysql_case_sensitive_text")]

    operations = [
        migrations.CreateModel(
            name="CallPath",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("path", models.CharField(max_length=256)),
                ("app", models.ForeignKey(db_column="app_name", db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="paths", to="calls.app")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("app", "path"), name="callpath_app_path")],
            },
        ),
        migrations.RunPython(binary_collation, migrations.RunPython.noop),
        migrations.RunSQL(
            "INSERT INTO calls_callpath (app_name, path)"
            " SELECT DISTINCT app_name, path FROM calls_call",
            migrations.RunSQL.noop,
        ),
    ]
