"""The admin: a calls list that stays fast on millions of rows, read-only calls with their
stats as a table, and the two ways to delete calls in batches."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.admin import EstimatedCountPaginator
from calls.models import ApiToken, Call, CallLog
from calls.stats import parse_points

LIST = "/admin/calls/call/"


def calls_sql(queries) -> list[str]:
    return [q["sql"] for q in queries if "calls_call" in q["sql"]]


def test_it_lists_calls_with_app_path_status_created_and_duration(admin_client, make_call):
    call = make_call(app="shop", path="/checkout", status="timeout")
    html = admin_client.get(LIST).content.decode()
    # The call's own row: the filter sidebar names apps and statuses anyway.
    row = re.search(rf"<tr>(?:(?!</tr>).)*{call.id}.*?</tr>", html, re.DOTALL)[0]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
    texts = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
    assert texts[1:] == [call.id, "shop", "/checkout", "Timeout", texts[5], "0.995 s"]
    # started 5 ms after creation, completed 1 s after


def test_it_lists_in_the_same_queries_whatever_the_number_of_calls(
    admin_client, make_call, django_assert_num_queries
):
    for _ in range(3):
        make_call()
    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST)
    for _ in range(150):
        make_call()
    with django_assert_num_queries(len(few)) as many:
        html = admin_client.get(LIST).content.decode()
    assert "153 calls" in html
    for sql in calls_sql(many):
        # Never the histogram, and never a count of more than the paginator's limit.
        assert "stats" not in sql
        if "COUNT(" in sql:
            assert "LIMIT 10000" in sql


@pytest.mark.django_db(transaction=True)  # MariaDB's ANALYZE TABLE commits
def test_it_shows_the_databases_estimate_for_a_big_table(
    admin_client, make_call, analyze_calls, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "count_limit", 3)
    for _ in range(5):
        make_call()
    analyze_calls()
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(LIST).content.decode()
    # InnoDB's estimate of a tiny table can be off by a row or two; show whatever it says.
    estimate = Call.objects.estimated_count()
    assert estimate > 3
    assert f"{estimate} calls" in html
    counts = [sql for sql in calls_sql(queries) if "COUNT(" in sql]
    assert counts
    assert all("LIMIT 3" in sql for sql in counts)


def test_it_filters_by_status_app_and_date(admin_client, make_call):
    make_call(app="shop", path="/failed", status="error")
    make_call(app="media", path="/fine", status="success")
    june = make_call(app="shop", path="/june", created=timezone.now().replace(month=6, day=1))

    def listed(query: str) -> str:
        return admin_client.get(LIST + query).content.decode()

    assert "/failed" in listed("?status=error")
    assert "/fine" not in listed("?status=error")
    assert "/fine" in listed("?app__name__exact=media")
    assert "/failed" not in listed("?app__name__exact=media")
    by_month = listed(f"?created_at__year={june.created_at.year}&created_at__month=6")
    assert "/june" in by_month
    assert "/failed" not in by_month


def test_it_searches_by_id_prefix_and_path(admin_client, make_call):
    first = make_call(path="/alpha")
    make_call(path="/beta")
    by_id = admin_client.get(LIST, {"q": first.id[:20].lower()}).content.decode()
    assert "/alpha" in by_id
    assert "/beta" not in by_id
    by_path = admin_client.get(LIST, {"q": "BET"}).content.decode()
    assert "/beta" in by_path
    assert "/alpha" not in by_path


def test_it_searches_apps_ignoring_case(admin_client, make_call):
    make_call(app="Checkout")
    make_call(app="media")
    found = admin_client.get("/admin/calls/app/", {"q": "checkOUT"}).content.decode()
    assert "Checkout" in found
    assert "media" not in found


@pytest.mark.parametrize("term", ["/café", "/Straße", "CAF", "/caf /menu"])
def test_it_searches_paths_with_any_letters_and_several_words(admin_client, make_call, term):
    make_call(path="/café/menu")
    make_call(path="/Straße")
    make_call(path="/other")
    found = admin_client.get(LIST, {"q": term}).content.decode()
    expected = "/Straße" if "ß" in term else "/café/menu"
    assert expected in found
    assert "/other" not in found


def test_it_shows_a_call_read_only_with_its_stats_as_a_table(admin_client, make_call):
    call = make_call()
    call.set_stats(
        parse_points(
            [
                {"timestamp": "2017-11-27T14:52:54Z", "metrics": {"cpu_total": 12}},
                {"timestamp": "2017-11-27T14:52:55Z", "metrics": {"cpu_total": 30}},
            ]
        )
    )
    call.save()
    CallLog.objects.create(call=call, text="<hello>\n")
    response = admin_client.get(f"{LIST}{call.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<th>cpu_total</th>" in html
    assert "2017-11-27T14:52:55.000Z" in html
    assert "<td>30</td>" in html
    assert "<pre>&lt;hello&gt;\n</pre>" in html
    assert "<textarea" not in html
    assert 'name="path"' not in html
    assert 'name="_save"' not in html


def test_it_shows_a_calls_times_and_peaks_as_the_dashboard_does(admin_client, make_call):
    call = make_call(metrics={"cpu_total": 150.25, "mem_usage": 90 * 2**20})
    html = admin_client.get(f"{LIST}{call.pk}/change/").content.decode()
    assert "2017-11-27 14:52:53.123 UTC" in html
    assert "2017-11-27 14:52:54.123 UTC" in html  # completed
    assert "150.2 %" in html
    assert "90.0 MiB" in html
    assert f'href="/admin/r/{ContentType.objects.get_for_model(Call).pk}/{call.pk}/"' in html
    assert admin_client.get(f"/admin/r/{ContentType.objects.get_for_model(Call).pk}/{call.pk}/")[
        "Location"
    ].endswith(f"/apps/myapp/calls/{call.pk}/")


def test_it_offers_no_adding_of_calls(admin_client, db):
    assert admin_client.get(f"{LIST}add/").status_code == 403


def test_it_lists_apps(admin_client, make_call):
    make_call(app="shop")
    assert "shop" in admin_client.get("/admin/calls/app/").content.decode()


@pytest.mark.parametrize("page", ["", "CALL/change/", "purge/"])
def test_it_needs_no_inline_script_or_style_under_the_csp(admin_client, make_call, page):
    call = make_call()
    html = admin_client.get(LIST + page.replace("CALL", call.pk)).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts)
    assert " style=" not in html
    assert "<style" not in html


def test_it_lists_tokens_but_never_their_keys_or_digests(admin_client, token):
    digest = ApiToken.objects.get().digest
    html = admin_client.get("/admin/calls/apitoken/").content.decode()
    assert "test-agent" in html
    assert "create_api_token" in html  # where new tokens come from
    assert admin_client.get("/admin/calls/apitoken/add/").status_code == 403
    change = admin_client.get(f"/admin/calls/apitoken/{ApiToken.objects.get().pk}/change/")
    for page in (html, change.content.decode()):
        assert token not in page
        assert digest not in page


def test_it_revokes_a_token(admin_client, client, token):
    ingest = {"call": {"status": "success", "path": "/x", "created_at": "2017-11-27T14:52:53Z"}}

    def send() -> int:
        return client.post(
            "/v1/apps/myapp/calls",
            ingest,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        ).status_code

    assert send() == 201
    pk = ApiToken.objects.get().pk
    response = admin_client.post(
        "/admin/calls/apitoken/",
        {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert send() == 401


def date_links(html: str) -> list[str]:
    """The titles of the date drill-down's links, the way back first."""
    nav = re.search(r'<nav class="toplinks">(.*?)</nav>', html, re.S)[1]
    return re.findall(r"<a [^>]*>([^<]*)</a>", nav)


def test_it_drills_down_dates_without_scanning_for_them(admin_client, make_call):
    make_call(created=datetime(2024, 5, 3, tzinfo=UTC))
    make_call(created=datetime(2026, 6, 1, 12, tzinfo=UTC))
    make_call(created=datetime(2026, 6, 3, 12, tzinfo=UTC))

    def links(**lookups) -> list[str]:
        query = {f"created_at__{part}": value for part, value in lookups.items()}
        return date_links(admin_client.get(LIST, query).content.decode())

    with CaptureQueriesContext(connection) as queries:
        # Every year from the first call's to the last's, whether it has calls or not.
        assert links() == ["2024", "2025", "2026"]
    assert not [sql for sql in calls_sql(queries) if "DISTINCT" in sql]
    assert links(year=2026) == ["&lsaquo; All dates", "June 2026"]
    assert links(year=2026, month=6) == ["&lsaquo; 2026", "June 1", "June 2", "June 3"]
    assert links(year=2026, month=6, day=2) == ["&lsaquo; June 2026"]
    assert links(year=2025) == ["&lsaquo; All dates"]  # no calls: only the way back
