"""Settings come from the environment; production refuses to start without a SECRET_KEY."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.conftest import ROOT


def load_settings(**env):
    ours = ("DEBUG", "SECRET_KEY", "DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(
        [sys.executable, "-c", "import fnweb.settings as s; print(s.DEBUG, s.DATABASES)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_it_refuses_production_without_a_secret_key():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_starts_in_production_with_a_secret_key():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False")


def test_it_defaults_to_sqlite_for_development():
    result = load_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.sqlite3" in result.stdout
    assert "db.sqlite3" in result.stdout


def test_it_reads_the_database_from_database_url():
    result = load_settings(DEBUG="true", DATABASE_URL="postgres://u:p@db.example:5433/calls")
    assert "'ENGINE': 'django.db.backends.postgresql'" in result.stdout
    assert "'NAME': 'calls'" in result.stdout
    assert "'PORT': 5433" in result.stdout


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite runs in the process")
def test_it_limits_how_long_a_statement_may_run_on_a_database_server(db, settings):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('statement_timeout')")
            expected = f"{round(settings.DATABASE_STATEMENT_TIMEOUT)}s"
        else:
            cursor.execute("SELECT @@SESSION.max_statement_time")
            expected = settings.DATABASE_STATEMENT_TIMEOUT
        assert cursor.fetchone()[0] == expected
