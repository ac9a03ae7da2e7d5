import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.models import CallLog
from calls.stats import MIB, parse_points, summarize
from calls.templatetags.dashboard import chart_json
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def point(second: int, **metrics) -> dict:
    moment = T0 + timedelta(seconds=second)
    return {"timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "metrics": metrics}


STATS = [
    point(
        s,
        cpu_total=10 * s,
        cpu_user=6 * s,
        cpu_kernel=4 * s,
        mem_usage=(100 + s) * MIB,
        mem_limit=256 * MIB,
        net_rx=2048 * s * s,
        net_tx=1024 * s,
        disk_read=0,
        disk_write=4096 * s,
    )
    for s in range(1, 11)
]


@pytest.fixture
def call(make_call):
    call = make_call(
        started_at=T0,
        completed_at=T0 + timedelta(seconds=11),
        status="error",
        error="container exited with code 1",
        stats=STATS,
    )
    CallLog.objects.create(call=call, text="hello\n<b>fatal</b>\n")
    return call


def chart_data(response) -> dict:
    html = response.content.decode()
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    return {chart["id"]: chart for chart in json.loads(found.group(1))}


def table_row(response, label: str) -> list[str]:
    """The figures (min, max, average, median, p95) of the first table row called label."""
    html = response.content.decode()
    start = html.index(f"</span>{label}")
    row = html[start : html.index("</tr>", start)]
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def test_it_shows_the_call(client, call):
    response = client.get(f"/apps/myapp/calls/{call.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="badge badge-error">error</span>' in html
    assert "container exited with code 1" in html
    assert (
        '<pre class="log" id="log" tabindex="0" aria-label="Call log"><span class="line">hello'
        '</span>\n<span class="line">&lt;b&gt;fatal&lt;/b&gt;</span>\n</pre>'
    ) in html
    assert "2 lines" in html
    assert f'<a href="/apps/myapp/calls/{call.id}/log.txt" download>Download</a>' in html
    assert (
        'href="/apps/myapp/calls/?path=/hello&amp;status=error">All error calls of /hello' in html
    )
    assert "11.0\u00a0s" in html
    assert "2017-11-27 14:52:53.123 UTC" in html
    assert f'href="/apps/myapp/calls/{call.id}/stats.csv"' in html
    assert f'href="/apps/myapp/calls/{call.id}/stats.json"' in html


def test_it_charts_four_groups_against_seconds_since_the_start(client, call):
    charts = chart_data(client.get(f"/apps/myapp/calls/{call.id}/"))
    assert list(charts) == ["cpu", "memory", "network", "disk"]
    assert [s["label"] for s in charts["cpu"]["datasets"]] == ["total", "user", "kernel"]
    assert charts["cpu"]["unit"] == "%"
    assert charts["cpu"]["datasets"][0]["data"][:2] == [[1.0, 10.0], [2.0, 20.0]]
    memory = {s["label"]: s for s in charts["memory"]["datasets"]}
    assert memory["limit"]["dashed"] is True
    assert memory["usage"]["data"][0] == [1.0, 101.0]  # MiB
    # Counters are drawn as KiB per second between points: net_rx grows by 2 KiB * (2s - 1).
    received = charts["network"]["datasets"][0]["data"]
    assert received[:2] == [[2.0, 6.0], [3.0, 10.0]]


def test_it_tabulates_the_figures_the_charts_draw(client, call):
    response = client.get(f"/apps/myapp/calls/{call.id}/")
    charts = chart_data(response)
    summary = summarize(parse_points(STATS))
    assert table_row(response, "total") == ["10.0", "100.0", "55.0", "55.0", "95.5"]
    drawn = [value for _, value in charts["cpu"]["datasets"][0]["data"]]
    assert (min(drawn), max(drawn)) == (summary["cpu_total"]["min"], summary["cpu_total"]["max"])
    assert table_row(response, "usage") == ["101.0", "110.0", "105.5", "105.5", "109.5"]
    assert table_row(response, "usage / limit")[1] == "43.0"
    rates = [value for _, value in charts["network"]["datasets"][0]["data"]]
    assert table_row(response, "received")[:2] == [f"{min(rates):.1f}", f"{max(rates):.1f}"]
    assert table_row(response, "read") == ["0.0"] * 5


def test_it_starts_the_x_axis_at_a_point_sampled_before_the_start(client, make_call):
    # Samplers round down to whole seconds, so a first point can precede started_at.
    call = make_call(started_at=T0 + timedelta(seconds=1, milliseconds=500), stats=STATS)
    charts = chart_data(client.get(f"/apps/myapp/calls/{call.id}/"))
    assert charts["cpu"]["datasets"][0]["data"][:2] == [[0.0, 10.0], [1.0, 20.0]]


def test_it_explains_a_call_without_stats(client, make_call):
    call = make_call()
    html = client.get(f"/apps/myapp/calls/{call.id}/").content.decode()
    assert "This call has no stats" in html
    assert "chart-data" not in html
    assert "chart.umd" not in html
    assert "No log was stored" in html


def test_it_loads_chartjs_with_its_integrity_hash(client, call, settings):
    settings.CHARTJS_URL = "/static/vendor/chartjs/chart.umd.min.js"
    html = client.get(f"/apps/myapp/calls/{call.id}/").content.decode()
    assert (
        '<script src="/static/vendor/chartjs/chart.umd.min.js" '
        f'integrity="{settings.CHARTJS_INTEGRITY}" crossorigin="anonymous" defer></script>'
    ) in html
    assert '<script src="/static/js/charts.js" defer></script>' in html
    assert "Charts are unavailable" in html  # until the script has drawn them


def test_it_downloads_the_stats_as_json(client, call):
    response = client.get(f"/apps/myapp/calls/{call.id}/stats.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{call.id}-stats.json"'
    points = response.json()
    assert len(points) == 10
    assert points[0]["timestamp"] == "2017-11-27T14:52:54.123Z"
    assert list(points[0]["metrics"]) == sorted(points[0]["metrics"])


def test_it_downloads_the_stats_as_csv(client, call):
    response = client.get(f"/apps/myapp/calls/{call.id}/stats.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{call.id}-stats.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "timestamp,seconds,cpu_kernel,cpu_total,cpu_user,disk_read,disk_write,"
        "mem_limit,mem_usage,net_rx,net_tx"
    )
    assert (
        lines[2]
        == f"2017-11-27T14:52:55.123Z,1.000,8,20,12,0,8192,{256 * MIB},{102 * MIB},8192,2048"
    )
    assert len(lines) == 11


def test_it_keeps_spreadsheets_from_running_metric_names_as_formulas(client, make_call):
    names = {'=HYPERLINK("http://x")': 1, "@SUM(A1)": 2, "+1": 3, "-1": 4, "\tx": 5, "gpu": 6}
    call = make_call(stats=[point(1, **names)])
    response = client.get(f"/apps/myapp/calls/{call.id}/stats.csv")
    header, row = csv.reader(io.StringIO(response.content.decode()))
    assert header[2:] == ["'\tx", "'+1", "'-1", '\'=HYPERLINK("http://x")', "'@SUM(A1)", "gpu"]
    assert row[2:] == ["5", "3", "4", "1", "2", "6"]


def test_it_reads_the_call_with_its_log_then_its_neighbours_in_three_queries(
    client, call, django_assert_num_queries
):
    with django_assert_num_queries(3):
        client.get(f"/apps/myapp/calls/{call.id}/")


def test_it_links_the_newer_and_older_calls_of_the_same_status(client, make_call):
    errors = [make_call(status="error", created=T0 + timedelta(seconds=i)) for i in range(0, 6, 2)]
    make_call(status="success", created=T0 + timedelta(seconds=3))
    make_call(app="other", status="error", created=T0 + timedelta(seconds=3))
    html = client.get(f"/apps/myapp/calls/{errors[1].id}/", {"window": "7d"}).content.decode()
    assert f'href="/apps/myapp/calls/{errors[2].id}/?window=7d" rel="prev">' in html
    assert f'href="/apps/myapp/calls/{errors[0].id}/?window=7d" rel="next">' in html
    assert "status=error&amp;window=7d" in html
    newest = client.get(f"/apps/myapp/calls/{errors[2].id}/").content.decode()
    assert 'rel="prev"' not in newest
    assert f'href="/apps/myapp/calls/{errors[1].id}/" rel="next">' in newest


def test_it_says_how_long_an_unfinished_call_has_been_running(client, make_call):
    started = timezone.now() - timedelta(minutes=3, seconds=5)
    call = make_call(
        status="running", created=started - timedelta(seconds=2), started_at=started,
        completed_at=None,
    )  # fmt: skip
    html = client.get(f"/apps/myapp/calls/{call.id}/").content.decode()
    assert "running for 3\u00a0min\u00a005\u00a0s" in html
    assert "2.0\u00a0s" in html  # queued
    assert "No stats yet: this call is running" in html
    assert "No log yet" in html
    assert "when you ingest it" not in html


def test_it_downloads_the_log(client, call):
    response = client.get(f"/apps/myapp/calls/{call.id}/log.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{call.id}.log"'
    assert response.content == b"hello\n<b>fatal</b>\n"


def test_it_names_an_unknown_call_of_a_known_app_and_links_its_list(client, call):
    response = client.get("/apps/myapp/calls/01NOPE/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "has no call <code>01NOPE</code>" in html
    assert '<a href="/apps/myapp/calls/">See the calls of myapp</a>' in html
    assert "See all apps" in client.get("/apps/nope/calls/01NOPE/").content.decode()


@pytest.mark.parametrize("suffix", ["", "stats.json", "stats.csv", "log.txt"])
def test_it_answers_404_for_unknown_calls(client, call, make_call, suffix):
    other = make_call(app="other")
    assert client.get(f"/apps/myapp/calls/nope/{suffix}").status_code == 404
    assert client.get(f"/apps/myapp/calls/{other.id}/{suffix}").status_code == 404
    assert client.get(f"/apps/nope/calls/{call.id}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["", "stats.json", "stats.csv", "log.txt"])
def test_it_asks_for_login_when_reads_need_it(client, admin_client, call, settings, suffix):
    settings.READ_REQUIRES_LOGIN = True
    response = client.get(f"/apps/myapp/calls/{call.id}/{suffix}")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert admin_client.get(f"/apps/myapp/calls/{call.id}/{suffix}").status_code == 200


def test_it_writes_chart_data_escaped_as_json_script_does():
    # orjson writes it; no text in it may close the <script> element it sits in.
    data = [{"label": "</script><!-- & é", "data": [[0.5, 1e-07], [2.0, 12345678.9]]}]
    html = chart_json(data, "chart-data")
    start, end = '<script id="chart-data" type="application/json">', "</script>"
    assert html.startswith(start)
    assert html.endswith(end)
    text = html[len(start) : -len(end)]
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == data
