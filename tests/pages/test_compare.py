import json
import re
from datetime import timedelta

import pytest

from tests.conftest import T0

pytestmark = pytest.mark.django_db


def stats(cpu: int) -> list[dict]:
    return [
        {
            "timestamp": f"2017-11-27T14:52:{54 + s:02d}.000Z",
            "metrics": {"cpu_total": cpu * s, "mem_usage": 1024 * 1024 * s, "net_rx": 1024 * s},
        }
        for s in range(3)
    ]


@pytest.fixture
def calls(make_call):
    return [
        make_call(created=T0 + timedelta(minutes=i), started_at=T0, stats=stats(10 * (i + 1)))
        for i in range(5)
    ]


def chart_data(response) -> dict:
    html = response.content.decode()
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    return {chart["id"]: chart for chart in json.loads(found.group(1))}


def test_it_overlays_the_calls_per_metric(client, calls):
    ids = [calls[3].id, calls[0].id]
    response = client.get("/apps/myapp/compare/", {"ids": ids})
    assert response.status_code == 200
    charts = chart_data(response)
    assert list(charts) == [
        "cpu-cpu_total",
        "memory-mem_usage",
        "network-net_rx",
        "network-net_tx",
        "disk-disk_read",
        "disk-disk_write",
    ]
    cpu = charts["cpu-cpu_total"]["datasets"]
    assert [line["label"] for line in cpu] == ["A", "B"]
    assert [line["call_id"] for line in cpu] == ids  # in the order picked
    # x is seconds since each call's own start (T0 + 123 ms; the first point 877 ms later)
    assert cpu[0]["data"][1] == [pytest.approx(1.877), 40.0]
    assert cpu[1]["data"][1] == [pytest.approx(1.877), 10.0]
    assert charts["network-net_tx"]["datasets"][0]["data"] == []


def test_it_sets_the_summaries_side_by_side(client, calls):
    response = client.get("/apps/myapp/compare/", {"ids": [calls[1].id, calls[2].id]})
    html = response.content.decode()
    for letter, call in zip("AB", calls[1:3], strict=True):
        assert (
            f'<span class="letter">{letter}</span> <a class="mono" '
            f'href="/apps/myapp/calls/{call.id}/">' in html
        )
        assert (
            f'title="{call.id}">{letter}<span class="visually-hidden"> {call.id}</span></a>' in html
        )
    assert ">40.0</td>" in html  # max cpu_total of calls[1]: 20 * 2
    assert ">60.0</td>" in html  # and of calls[2]
    assert "no rate (it needs two points or more)" in html  # net_tx


def test_it_says_when_a_call_has_one_sample(client, calls, make_call):
    lone = make_call(created=T0, started_at=T0, stats=stats(10)[:1])
    response = client.get("/apps/myapp/compare/", {"ids": [calls[0].id, lone.id]})
    cpu = chart_data(response)["cpu-cpu_total"]["datasets"]
    assert [line["label"] for line in cpu] == ["A", "B (one sample)"]
    assert 'B<span class="visually-hidden">' in response.content.decode()
    assert "(one sample)</span>" in response.content.decode()


@pytest.mark.parametrize("count", [0, 1, 5])
def test_it_asks_for_two_to_four_calls(client, calls, count):
    response = client.get("/apps/myapp/compare/", {"ids": [c.id for c in calls[:count]]})
    assert response.status_code == 400
    assert "Pick 2 to 4 calls" in response.content.decode()


def test_it_counts_a_call_picked_twice_once(client, calls):
    response = client.get("/apps/myapp/compare/", {"ids": [calls[0].id, calls[0].id]})
    assert response.status_code == 400
    assert "(you picked 1)" in response.content.decode()


def test_it_answers_404_for_calls_of_other_apps(client, calls, make_call):
    other = make_call(app="other")
    response = client.get("/apps/myapp/compare/", {"ids": [calls[0].id, other.id]})
    assert response.status_code == 404
    assert client.get("/apps/nope/compare/", {"ids": ["a", "b"]}).status_code == 404


def test_it_asks_for_login_when_reads_need_it(client, admin_client, calls, settings):
    settings.READ_REQUIRES_LOGIN = True
    query = {"ids": [calls[0].id, calls[1].id]}
    assert client.get("/apps/myapp/compare/", query).status_code == 302
    assert admin_client.get("/apps/myapp/compare/", query).status_code == 200
