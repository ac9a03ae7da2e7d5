"""/healthz answers while the process is up; /readyz only when the database answers and every
migration is applied, otherwise 503 in Fn's error shape."""

import json
import os
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


def test_it_is_not_ready_while_a_migration_is_not_applied(client, db):
    executor = MigrationExecutor(connection)
    app, name = next(leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] == "calls")
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "error": {"message": f"Database migrations are not applied: {app}.{name}"}
    }


def with_the_database_down(probe: str) -> list:
    """Run `probe` in a fresh process pointed at a PostgreSQL port where nothing listens, with
    a Django test `client` ready; returns what it printed, a JSON value a line."""
    setup = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", setup + probe],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fnweb.settings",
            "DEBUG": "true",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/fnweb_ops?connect_timeout=2",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_it_is_not_ready_while_the_database_is_down():
    healthz, readyz = with_the_database_down(
        "for url in ('/healthz', '/readyz'):\n"
        "    response = client.get(url)\n"
        "    print(json.dumps([response.status_code, response.json()]))\n"
    )
    assert healthz == [200, {"status": "ok"}]
    assert readyz == [503, {"error": {"message": "Database is unreachable"}}]


def test_it_still_serves_the_other_metrics_while_the_database_is_down():
    [[status, text]] = with_the_database_down(
        "client.get('/readyz')\n"
        "response = client.get('/metrics')\n"
        "print(json.dumps([response.status_code, response.content.decode()]))\n"
    )
    assert status == 200
    assert 'fnweb_http_request_duration_seconds_count{status="503",view="readyz"} 1.0' in text
    assert "fnweb_calls_stored" not in text
