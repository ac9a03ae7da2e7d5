"""Each query of the calls list's views reads through an index on the real database of this run
(SQLite, PostgreSQL or MariaDB), never the whole calls table: EXPLAIN says so."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.ids import new_id
from calls.models import Call, CallPath
from tests.conftest import T0

LIST = "/admin/calls/call/"
DAY = T0 + timedelta(days=3)
# Each view's query string and the index its page of calls must be read through (any, for the
# views whose best index depends on the numbers the planner sees).
VIEWS = {
    "all": ("", None),
    "id prefix": (f"q={new_id(at=DAY)[:8].lower()}", {"calls_call_pkey", "PRIMARY", "autoindex"}),
    "app": ("q=app3", None),
    "path": ("q=path2", None),
    "status search": ("q=timeout", None),
    "day": (
        f"created_at__year={DAY.year}&created_at__month={DAY.month}&created_at__day={DAY.day}",
        {"call_created_at_id"},
    ),
    "status": ("status__exact=error", None),
    "app filter": ("app__name__exact=app3", {"call_app_id", "call_app_path_id"}),
}


def plan(sql: str) -> list[str]:
    """EXPLAIN's lines, each naming how one table is read."""
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        cursor.execute(prefix + sql)
        return [" ".join(str(col) for col in row) for row in cursor.fetchall()]


def full_scans(lines: list[str]) -> list[str]:
    if connection.vendor == "postgresql":
        return [line for line in lines if "Seq Scan on calls_call " in line + " "]
    if connection.vendor == "mysql":  # columns: id, select_type, table, type, ...
        return [line for line in lines if re.match(r"\S+ \S+ calls_call ALL\b", line)]
    return [line for line in lines if re.search(r"\bSCAN calls_call$", line)]


def status(n: int) -> str:
    """One call in 20 failed, one in 50 timed out."""
    return "error" if n % 20 == 3 else "timeout" if n % 50 == 7 else "success"


# ANALYZE commits on MariaDB, so these tests cannot live inside a rolled-back transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("view", VIEWS)
def test_it_reads_every_view_of_the_calls_list_through_an_index(admin_client, analyze_calls, view):
    for app in range(20):
        CallPath.record(f"app{app}", {f"/path{n}" for n in range(7)})
    Call.objects.bulk_create(
        Call(id=new_id(at=T0 + timedelta(minutes=i)), app_id=f"app{i % 20}",
             path=f"/path{i % 7}", status=status(i), created_at=T0 + timedelta(minutes=i))
        for i in range(6000)
    )  # fmt: skip
    analyze_calls()
    query, indexes = VIEWS[view]
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(f"{LIST}?{query}").status_code == 200
    reads = [q["sql"] for q in queries if re.search(r"[`\"]calls_call[`\"]", q["sql"])]
    assert reads
    for sql in reads:
        if "WHERE" not in sql and "LIMIT 10000" in sql:
            continue  # the unfiltered count stops at the paginator's limit, whatever it reads
        assert not full_scans(plan(sql)), (sql, plan(sql))
    if indexes:
        # Not the count, not the date drill-down's first and last call.
        page = next(sql for sql in reads if "COUNT(" not in sql and not sql.endswith("LIMIT 1"))
        assert any(index in line for line in plan(page) for index in indexes), plan(page)
