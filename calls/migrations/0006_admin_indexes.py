"""The indexes the admin's queries use, and none that no query uses.

- (created_at, id) and (status, id) replace (created_at) and (status): a chosen day newest
  first, retention oldest first and a status newest first are ranges read in order, and a
  status is counted from its index alone. The new ones come first, so no query goes without.
- On PostgreSQL, Django gives a varchar primary key a second, `varchar_pattern_ops` index
  (`..._like`) for LIKE 'x%'. fnweb searches ids as a range of the primary key instead, so
  the calls' and the logs' are dropped (950 MB at 10M calls). A later migration that alters
  either id column makes Django create it again, and must drop it again.
"""

from django.db import migrations, models

# (model, column) of the primary keys whose `_like` index goes.
LIKE_INDEXED = [("call", "id"), ("calllog", "id")]


def like_index_names(apps, schema_editor) -> list[str]:
    return [
        schema_editor._create_index_name(
            apps.get_model("calls", model)._meta.db_table, [column], suffix="_like"
        )
        for model, column in LIKE_INDEXED
    ]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in like_index_names(apps, schema_editor):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, _ in LIKE_INDEXED:
            model = apps.get_model("calls", model)
            schema_editor.execute(schema_editor._create_like_index_sql(model, model._meta.pk))


class Migration(migrations.Migration):
    dependencies = [("calls", "0005_call_app_status_id")]

    operations = [
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["created_at", "id"], name="call_created_at_id"),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["status", "id"], name="call_status_id"),
        ),
        migrations.RemoveIndex(model_name="call", name="call_created_at"),
        migrations.RemoveIndex(model_name="call", name="call_status"),
        migrations.RunPython(drop_like_indexes, create_like_indexes),
    ]
