"""Fixtures shared by the test modules."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from prometheus_client.parser import text_string_to_metric_families

from calls import rollups
from calls.fntime import to_ns
from calls.ids import new_id
from calls.models import ApiToken, Call, CallPath
from calls.stats import dump_points

# The repository, where manage.py is, for tests that start fnweb as a process.
ROOT = Path(__file__).resolve().parent.parent
# Fn's own OpenAPI file for the v1 API (Apache-2.0, from the Fn Project), kept as a fixture.
FN_SWAGGER = Path(__file__).parent / "fixtures" / "fn-swagger-v1.yml"
T0 = datetime(2017, 11, 27, 14, 52, 53, 123000, tzinfo=UTC)


@pytest.fixture
def make_call(db):
    """Store a call and roll it up: `make_call(app="myapp", path="/hello", created=T0, **fields)`;
    `metrics={...}` gives it stats of one point holding them (and so its peaks)."""

    def make(app="myapp", path="/hello", created=T0, metrics=None, **fields) -> Call:
        CallPath.record(app, {path})
        if metrics is not None:
            fields["stats"] = dump_points([(to_ns(created), metrics)])
        fields.setdefault("status", "success")
        fields.setdefault("started_at", created + timedelta(milliseconds=5))
        fields.setdefault("completed_at", created + timedelta(seconds=1))
        with transaction.atomic():  # as storing.store() writes a call and its rollups
            call = Call.objects.create(
                id=fields.pop("id", None) or new_id(at=created),
                app_id=app,
                path=path,
                created_at=created,
                **fields,
            )
            rollups.record([rollups.observe(call, call.points())])
        return call

    return make


@pytest.fixture
def token(db) -> str:
    return ApiToken.issue("test-agent")


@pytest.fixture
def api(client, token):
    """A test client that sends `Authorization: Token <key>`."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client


@pytest.fixture
def analyze_calls():
    """Call it to have the database refresh its row estimate of the calls table, as it does by
    itself for a big one. On MariaDB ANALYZE TABLE commits, so use it in transactional tests."""

    def analyze() -> None:
        if connection.vendor == "sqlite":
            return  # no estimate kept
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE calls_call"
                if connection.vendor == "postgresql"
                else "ANALYZE TABLE calls_call"
            )

    return analyze


def scrape(client, **headers) -> dict:
    """{(sample name, {label: value} as sorted tuples): value} of one scrape."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def growth(client, action) -> dict:
    """How much each sample grew while `action` ran (metrics live as long as the process)."""
    before = scrape(client)
    action()
    return {key: value - before.get(key, 0) for key, value in scrape(client).items()}


def labels(**values) -> tuple:
    return tuple(sorted(values.items()))


def deletes_from(table: str, queries) -> int:
    """How many of the captured statements delete from `table` (on PostgreSQL a purge deletes
    from both tables in one statement, on MariaDB the logs with a joined DELETE)."""
    unquoted = (q["sql"].replace('"', "").replace("`", "") for q in queries)
    deletes = re.compile(f"DELETE (?:{table} )?FROM {table} ")
    return sum(bool(deletes.search(sql)) for sql in unquoted)
