"""The columns of a call that are more than a value: stats read fast and stored in Go's order,
and peaks derived from them on every write."""

import orjson
from django.db import connection, models

from calls.stats import go_order


class StatsField(models.JSONField):
    """A JSONField read with orjson: a call's 240 points decode several times faster than with
    the standard library, on the API's hottest read."""

    def deconstruct(self):
        # Migrations see the plain JSONField: how it is decoded is code, not schema.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str | bytes) and isinstance(expression, models.expressions.Col):
            return orjson.loads(value)
        return super().from_db_value(value, expression, connection)

    def pre_save(self, model_instance: models.Model, add: bool) -> list[dict]:
        # Stored in Go's order on every write, so a database that keeps key order serves
        # the wire form as it is (see Call.wire_stats).
        value = go_order(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


def keeps_key_order() -> bool:
    """Whether the database gives a JSON column back with its keys in the order written:
    SQLite and MariaDB keep the text; PostgreSQL's jsonb and MySQL's JSON reorder keys."""
    if connection.vendor == "mysql":
        return connection.mysql_is_mariadb
    return connection.vendor == "sqlite"


class PeakField(models.FloatField):
    """The largest value of one metric over the call's stats, worked out on every write
    (save() and bulk_create() alike), so it never disagrees with the stats beside it.
    A float, because metric values go up to 2^64 - 1, past what a BIGINT column holds."""

    def __init__(self, *args, metric: str = "", **kwargs):
        self.metric = metric
        super().__init__(*args, **{"null": True, "blank": True, **kwargs})

    def deconstruct(self):
        # Migrations see the plain column: deriving its value is code, not schema.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.FloatField", args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> float | None:
        values = (point["metrics"].get(self.metric) for point in model_instance.stats)
        value = max((v for v in values if v is not None), default=None)
        setattr(model_instance, self.attname, value)
        return value
