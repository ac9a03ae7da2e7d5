"""Migration 0009: on MariaDB a call's stats and log are stored compressed, and read back as
they were sent; the other databases compress them by themselves and are left alone."""

import pytest
from django.db import IntegrityError, connection

from calls.models import Call
from tests.api.conftest import fn_call, post, raw_stats


def compressed_columns() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_TYPE LIKE %s",
            ["%COMPRESSED%"],
        )
        return set(cursor.fetchall())


@pytest.fixture
def mariadb(db):
    if connection.vendor != "mysql" or not connection.mysql_is_mariadb:
        pytest.skip("MariaDB's column compression")


def test_it_compresses_the_stats_and_the_log_on_mariadb(mariadb):
    assert compressed_columns() == {("calls_call", "stats"), ("calls_calllog", "text")}


def test_it_still_refuses_stats_that_are_not_json_on_mariadb(mariadb, make_call):
    call = make_call()
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("UPDATE calls_call SET stats = 'not json' WHERE id = %s", [call.pk])


def test_it_reads_back_a_full_histogram_and_a_long_log_as_sent(api):
    # 240 points of 16 metrics and a 1 MiB log: the largest a call stores, compressed or not.
    metrics = {f"metric_{n:02d}": n * 1000 for n in range(15)}
    log = "".join(f"line {n} of the log\n" for n in range(60_000))[: 1 << 20]
    post(api, {"call": fn_call(id="BIG", stats=raw_stats(240, **metrics), log=log)})
    stats = api.get("/v1/apps/myapp/calls/BIG").json()["call"]["stats"]
    assert stats == [{**point, "metrics": dict(sorted(point["metrics"].items()))}
                     for point in raw_stats(240, **metrics)]  # fmt: skip
    assert api.get("/v1/apps/myapp/calls/BIG/log", HTTP_ACCEPT="text/plain").content.decode() == log
    assert Call.objects.get(pk="BIG").peak_cpu_total == 239
