"""The columns of a call that are more than a value: stats read fast and stored in Go's order,
as the compact JSON Fn's wire carries, and the figures derived from the row on every write
(peaks, memory share, run time)."""

from datetime import datetime, timedelta

import orjson
from django.db import connection, models
from django.db.models.functions import Cast

from calls.sketch import ZERO
from calls.stats import go_order, peak_memory_share

# How the text orjson writes for a call with points begins. Rows written before stats were
# stored compact begin `[{"timestamp": "` (the standard library's spaces, and its \uXXXX for
# any character past ASCII), so this tells the two apart without reading further.
COMPACT_START = '[{"timestamp":"'


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
        # the wire form as it is (see wire_json).
        value = go_order(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        # Written compact by orjson, several times faster than the standard library: where the
        # database keeps the text, it is then the wire's own bytes (see wire_json).
        if not isinstance(value, list):  # an expression
            return super().get_db_prep_value(value, connection, prepared)
        return orjson_parameter(self, value, connection)


class SketchField(models.JSONField):
    """A rollup's histogram (calls.sketch, a dict of int keys), stored as two lists, its keys in
    ascending order and their counts, read and written with orjson; on PostgreSQL a json column
    (the text as written) rather than jsonb. A histogram is only ever written whole and read
    whole, never searched inside, so jsonb's binary form bought nothing and cost on both sides:
    converting it back to text took most of a 30-day summary's database time (2.5 times
    json's), and each ingest batch rebuilt its rows' jsonb. Lists, because JSON objects key by
    strings, and two of them because orjson decodes flat lists of numbers fastest (a list of
    [key, count] pairs took half as long again)."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if isinstance(value, list | dict):  # psycopg decodes json columns (Django: jsonb only)
            return sketch_of(value)
        if isinstance(value, str | bytes) and isinstance(expression, models.expressions.Col):
            return sketch_of_json(value)
        return super().from_db_value(value, expression, connection)

    def to_python(self, value):
        # loaddata: the form value_to_string wrote.
        return sketch_of(value) if isinstance(value, list) else value

    def value_to_string(self, obj) -> list[list[int]]:
        # dumpdata: the stored form, since JSON would turn the int keys into strings.
        return json_of_sketch(self.value_from_object(obj))

    def get_db_prep_value(self, value, connection, prepared=False):
        if not isinstance(value, dict):  # an expression
            return super().get_db_prep_value(value, connection, prepared)
        return orjson_parameter(self, json_of_sketch(value), connection)


def json_of_sketch(histogram: dict[int, int]) -> list[list[int]]:
    """What SketchField stores of a histogram: its keys in ascending order, and their counts."""
    keys = sorted(histogram)
    return [keys, [histogram[key] for key in keys]]


def sketch_of_json(text: str | bytes) -> dict[int, int]:
    """A histogram from the text SketchField stores; a dict keeps the keys' ascending order."""
    return sketch_of(orjson.loads(text))


def sketch_of(stored: list | dict) -> dict[int, int]:
    """A histogram from its stored form decoded. An object keyed by strings ("z" the zero bin)
    is the form before migration 0011, which a server still on older code may write during an
    upgrade: it is read the same, and written in the new form when its row next changes."""
    if isinstance(stored, dict):
        return {ZERO if key == "z" else int(key): n for key, n in stored.items()}
    return dict(zip(*stored, strict=True))


def orjson_parameter(field: models.JSONField, value: object, connection) -> object:
    """A whole value for `field`'s column, written by orjson: on PostgreSQL handed to psycopg
    as the column's type (json or jsonb), elsewhere as the text."""
    if connection.vendor != "postgresql":
        return orjson_text(value)
    from psycopg.types.json import Json, Jsonb

    adapter = Json if field.db_type(connection) == "json" else Jsonb
    return adapter(value, dumps=orjson_text)


def orjson_text(value: object) -> str:
    return orjson.dumps(value).decode()


def stats_text() -> Cast:
    """The stats column as its stored text, for wire_json, without decoding it."""
    return Cast("stats", models.TextField())


def wire_json(text: str) -> orjson.Fragment | None:
    """Stored stats text as Fn's JSON carries it (None for no points): as it is where the
    database kept the compact text written in Go's order, which an API read then never decodes;
    otherwise (PostgreSQL's jsonb, rows from before) decoded and written again in Go's order."""
    if text == "[]":
        return None
    if text.startswith(COMPACT_START) and keeps_key_order():
        return orjson.Fragment(text)
    return orjson.Fragment(orjson.dumps(go_order(orjson.loads(text))))


def keeps_key_order() -> bool:
    """Whether the database gives a JSON column back with its keys in the order written:
    SQLite and MariaDB keep the text; PostgreSQL's jsonb and MySQL's JSON reorder keys."""
    if connection.vendor == "mysql":
        return connection.mysql_is_mariadb
    return connection.vendor == "sqlite"


class DerivedField:
    """A column worked out from the rest of the row on every write: save(), bulk_create() and
    storing's insert and replace all call pre_save(), so it never disagrees with what it is
    derived from. Subclasses say how (`derive`); NULL where there is nothing to derive from."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"null": True, "blank": True, **kwargs})

    def deconstruct(self):
        # Migrations see the plain column: deriving its value is code, not schema.
        name, _, args, kwargs = super().deconstruct()
        column = next(c for c in type(self).__mro__ if c.__module__ == models.Field.__module__)
        return name, f"django.db.models.{column.__name__}", args, kwargs

    def derive(self, call):
        raise NotImplementedError

    def pre_save(self, model_instance: models.Model, add: bool):
        value = self.derive(model_instance)
        setattr(model_instance, self.attname, value)
        return value


class PeakField(DerivedField, models.FloatField):
    """The largest value of one metric over the call's stats. A float, because metric values
    go up to 2^64 - 1, past what a BIGINT column holds."""

    def __init__(self, *args, metric: str = "", **kwargs):
        self.metric = metric
        super().__init__(*args, **kwargs)

    def derive(self, call) -> float | None:
        values = (point["metrics"].get(self.metric) for point in call.stats)
        return max((v for v in values if v is not None), default=None)


class MemoryShareField(DerivedField, models.FloatField):
    """The call's peak memory as a percentage of its limit (stats.peak_memory_share), so lists
    can filter and sort on it."""

    def derive(self, call) -> float | None:
        return peak_memory_share(point["metrics"] for point in call.stats)


class MicrosecondsField(DerivedField, models.BigIntegerField):
    """The call's run time (run_time) in whole microseconds, as precise as the times it
    comes from, so lists can filter and sort on it; NULL until the call has finished."""

    def derive(self, call) -> int | None:
        duration = run_time(call.started_at, call.completed_at)
        return None if duration is None else duration // timedelta(microseconds=1)


def run_time(started_at: datetime | None, completed_at: datetime | None) -> timedelta | None:
    """A call's run time, from start to completion; None for a call that has not finished."""
    return completed_at - started_at if started_at and completed_at else None
