"""Fixtures shared by the test modules."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from calls.ids import new_id
from calls.models import ApiToken, App, Call

T0 = datetime(2017, 11, 27, 14, 52, 53, 123000, tzinfo=UTC)


@pytest.fixture
def make_call(db):
    """Store a call: `make_call(app="myapp", path="/hello", created=T0, **fields)`."""

    def make(app="myapp", path="/hello", created=T0, **fields) -> Call:
        App.objects.get_or_create(name=app)
        fields.setdefault("status", "success")
        fields.setdefault("started_at", created + timedelta(milliseconds=5))
        fields.setdefault("completed_at", created + timedelta(seconds=1))
        return Call.objects.create(
            id=fields.pop("id", None) or new_id(at=created),
            app_id=app,
            path=path,
            created_at=created,
            **fields,
        )

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
