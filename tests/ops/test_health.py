"""/healthz answers while the process is up; /readyz only when the database answers and every
migration is applied, otherwise 503 in Fn's error shape."""

import json
import os
import socket
import subprocess
import sys

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from tests.conftest import ROOT


def test_it_says_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_ready_with_the_database_migrated(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_it_answers_head_like_get(client, db, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == b""


# Committed, since /readyz asks on a connection of its own; put back, since no flush does.
def test_it_is_not_ready_while_a_migration_is_not_applied(client, transactional_db):
    executor = MigrationExecutor(connection)
    app, name = next(leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] == "calls")
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()
    try:
        response = client.get("/readyz")
    finally:
        MigrationRecorder(connection).record_applied(app, name)
    assert response.status_code == 503
    assert response.json() == {
        "error": {"message": f"Database migrations are not applied: {app}.{name}"}
    }


# Databases that cannot be reached: PostgreSQL and MariaDB on a port where nothing listens,
# an SQLite file in a folder that does not exist.
DOWN = [
    "postgres://postgres@127.0.0.1:9/fnweb_ops",
    "mysql://root@127.0.0.1:9/fnweb_ops",
    "sqlite:////nonexistent/fnweb/db.sqlite3",
]


def with_the_database(database_url: str, probe: str, **env: str) -> tuple[dict, list]:
    """Run `probe` in a fresh fnweb process in production mode on `database_url`, with a
    Django test `client` and `timed(name, method, url, **extra)`, which records the status,
    type, body and seconds of a request. Returns {name: [status, type, body, seconds]} and the
    logs (both JSON lines on stdout: lists and objects)."""
    setup = (
        "import django, json, time; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost', raise_request_exception=False)\n"
        "client.get('/version')  # the first request loads every view; timings start after\n"
        "def timed(name, method, url, **extra):\n"
        "    start = time.monotonic()\n"
        "    response = getattr(client, method)(url, **extra)\n"
        "    took = time.monotonic() - start\n"
        "    answer = [response.status_code, response['Content-Type'], response.content.decode()]\n"
        "    print(json.dumps([name, *answer, took]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", setup + probe],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fnweb.settings",
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    answers = {line[0]: line[1:] for line in lines if isinstance(line, list)}
    return answers, [line for line in lines if isinstance(line, dict)]


@pytest.fixture(scope="module", params=DOWN)
def outage(request) -> tuple[dict, list]:
    """What fnweb answered, and logged, with the database down (one process per database)."""
    return with_the_database(
        request.param,
        "timed('healthz', 'get', '/healthz')\n"
        "timed('readyz', 'get', '/readyz')\n"
        "timed('metrics', 'get', '/metrics')\n"
        "timed('list', 'get', '/v1/apps/myapp/calls')\n"
        "timed('list with a token', 'get', '/v1/apps/myapp/calls',\n"
        "      HTTP_AUTHORIZATION='Bearer some-token')\n"
        "timed('ingest', 'post', '/v1/apps/myapp/calls', data={'calls': []},\n"
        "      content_type='application/json', HTTP_AUTHORIZATION='Token some-token')\n"
        "timed('page', 'get', '/')\n"
        "client.cookies['sessionid'] = 'a-session-the-database-would-hold'\n"
        "timed('healthz with a session', 'get', '/healthz')\n"
        "timed('admin with a session', 'get', '/admin/')\n",
    )


def fn_error(message: str) -> dict:
    return {"error": {"message": message}}


def test_it_is_alive_while_the_database_is_down(outage):
    answers, _ = outage
    for name in ("healthz", "healthz with a session"):
        status, _, body, took = answers[name]
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert took < 0.5


def test_it_is_not_ready_while_the_database_is_down(outage):
    answers, logs = outage
    status, _, body, took = answers["readyz"]
    assert (status, json.loads(body)) == (503, fn_error("Database is unreachable"))
    assert took < 1
    # One line per failed probe, no traceback: probes come every few seconds.
    [warning] = [log for log in logs if log["logger"] == "calls.ops.views"]
    assert warning["level"] == "WARNING"
    assert warning["message"].startswith("readiness: the database is unreachable: ")
    assert "exception" not in warning


def test_it_answers_the_api_with_503_in_fns_shape_while_the_database_is_down(outage):
    answers, logs = outage
    for name in ("list", "list with a token", "ingest"):
        status, content_type, body, took = answers[name]
        assert (status, json.loads(body)) == (503, fn_error("Database is unavailable"))
        assert content_type == "application/json; charset=utf-8"
        assert took < 1
    api_logs = [log for log in logs if log["logger"] == "calls.api.errors"]
    assert len(api_logs) == 3
    assert not [log for log in api_logs if "exception" in log]


def test_it_answers_pages_with_a_plain_503_page_while_the_database_is_down(outage):
    answers, _ = outage
    for name in ("page", "admin with a session"):
        status, content_type, body, took = answers[name]
        assert (status, content_type) == (503, "text/html; charset=utf-8")
        assert "<h1>Database unavailable</h1>" in body
        assert took < 1


def test_it_still_serves_the_other_metrics_while_the_database_is_down(outage):
    answers, _ = outage
    status, _, text, _ = answers["metrics"]
    assert status == 200
    assert 'fnweb_http_request_duration_seconds_count{status="503",view="readyz"} 1.0' in text
    assert "fnweb_calls_stored" not in text


@pytest.mark.parametrize("database_url", DOWN[:2])
def test_it_gives_up_on_a_database_that_does_not_answer(database_url):
    # A server that takes connections and never says a word: PostgreSQL's connect timeout
    # and MariaDB's read timeout end the wait, /readyz's own timeout sooner.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        answers, _ = with_the_database(
            database_url.replace(":9/", f":{port}/"),
            "timed('healthz', 'get', '/healthz')\n"
            "timed('readyz', 'get', '/readyz')\n"
            "timed('list', 'get', '/v1/apps/myapp/calls')\n",
            DATABASE_CONNECT_TIMEOUT="2",
            DATABASE_STATEMENT_TIMEOUT="1",
        )
    assert answers["healthz"][0] == 200
    assert answers["healthz"][3] < 0.5
    assert answers["readyz"][0] == 503
    assert 1 <= answers["readyz"][3] < 1.5
    status, _, body, took = answers["list"]
    assert (status, json.loads(body)) == (503, fn_error("Database is unavailable"))
    assert took < 3
