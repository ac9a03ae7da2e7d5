"""The trends page: charts over a table of every bucket, from rollups."""

import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qsl

import pytest
from django.test import Client
from django.utils import timezone

from calls.models import Call
from calls.stats import MIB
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def per_bucket_rows(html: str) -> int:
    return html.split('id="per-bucket"')[1].count('<tr>\n      <th scope="row">')


def test_it_shows_every_bucket_with_calls_and_links_to_its_calls(client, make_call):
    make_call(created=T0, status="error", metrics={"mem_usage": 2**20, "mem_limit": 2**27})
    make_call(created=T0 + timedelta(minutes=3), path="/other")
    response = client.get("/apps/myapp/trends/?since=2017-11-27T14:30&until=2017-11-27T15:30")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="trend-data"' in html
    assert "per minute" in html
    assert "within 1% of the exact ones" in html
    bucket = "/apps/myapp/calls/?since=2017-11-27T14%3A52&amp;until=2017-11-27T14%3A53"
    assert f'<a href="{bucket}">2017-11-27 14:52</a>' in html
    assert "100.0 %" in html  # the call of 14:52 failed
    assert "1.0 MiB" in html
    assert per_bucket_rows(html) == 2


def test_it_narrows_to_a_path_and_a_preset(client, make_call):
    now = timezone.now()
    make_call(created=now - timedelta(hours=3))
    make_call(created=now - timedelta(hours=2), path="/other")
    response = client.get("/apps/myapp/trends/?window=7d&path=/other")
    html = response.content.decode()
    assert "per hour" in html
    assert per_bucket_rows(html) == 1
    assert 'aria-current="true">7d</a>' in html
    assert "path=%2Fother" in html


def test_it_says_when_the_span_has_no_calls(client, make_call):
    make_call(created=T0)
    html = client.get("/apps/myapp/trends/?window=1h").content.decode()
    assert "No finished calls in this span." in html
    assert "trend-data" not in html


def test_it_refuses_a_bad_span_and_an_unknown_app(client, make_call):
    make_call()
    response = client.get("/apps/myapp/trends/?since=2017-11-27T15:00&until=2017-11-27T14:00")
    assert response.status_code == 400
    assert "must be earlier" in response.content.decode()
    assert client.get("/apps/myapp/trends/?since=2000-01-01T00:00").status_code == 400
    assert client.get("/apps/nope/trends/").status_code == 404


def test_it_shows_the_chart_panels_only_once_a_script_draws_them(client, make_call):
    # Without JavaScript or Chart.js, panels holding nothing but a title would stand empty.
    make_call(created=T0)
    html = client.get("/apps/myapp/trends/?since=2017-11-27T14:30&until=2017-11-27T15:30")
    assert 'id="trend-charts" hidden' in html.content.decode()


HEAT_LINK = re.compile(r'<a href="/apps/myapp/calls/\?([^"]+)" aria-label="([^"]+)"')


def heat_cells(html: str) -> list[tuple[dict, str]]:
    """Each heatmap cell's calls-list filters and accessible name."""
    return [(dict(parse_qsl(unescape(query))), name) for query, name in HEAT_LINK.findall(html)]


def test_its_heatmap_cells_link_to_exactly_their_calls(make_call):
    rng = random.Random(7)
    for _ in range(150):
        created = T0 + timedelta(seconds=rng.uniform(-1800, 1800))
        started = created + timedelta(milliseconds=3)
        run = timedelta(microseconds=int(10 ** rng.uniform(2, 8)))
        make_call(created=created, started_at=started, completed_at=started + run)
    make_call(created=T0, status="cancelled", started_at=None, completed_at=None)
    since, until = (
        datetime(2017, 11, 27, 14, 20, tzinfo=UTC),
        datetime(2017, 11, 27, 15, 30, tzinfo=UTC),
    )
    html = (
        Client()
        .get(f"/apps/myapp/trends/?since={since:%Y-%m-%dT%H:%M}&until={until:%Y-%m-%dT%H:%M}")
        .content.decode()
    )
    cells = heat_cells(html)
    assert len(cells) > 60
    counted = 0
    for query, name in cells:
        assert query["sort"] == "duration"
        low = datetime.fromisoformat(query["since"]).replace(tzinfo=UTC)
        high = datetime.fromisoformat(query["until"]).replace(tzinfo=UTC)
        shortest = Decimal(query["min_duration"])
        longest = Decimal(query.get("max_duration", "Infinity"))
        exact = sum(
            shortest <= Decimal((done - start) // timedelta(microseconds=1)) / 10**6 < longest
            for start, done in Call.objects.filter(
                created_at__gte=low, created_at__lt=high, completed_at__isnull=False
            ).values_list("started_at", "completed_at")
        )
        assert name.startswith(f"{exact} call{'s' * (exact != 1)}, "), (query, name)
        counted += exact
    assert counted == 150  # every call that ran in exactly one cell


def test_its_heatmap_cells_say_what_they_hold(client, make_call):
    make_call(created=T0, started_at=T0, completed_at=T0 + timedelta(seconds=0.75))
    html = client.get(
        "/apps/myapp/trends/?since=2017-11-27T14:30&until=2017-11-27T15:30"
    ).content.decode()
    [(query, name)] = heat_cells(html)
    assert name == "1 call, 500 ms–1 s, 2017-11-27 14:52–14:53"
    assert query == {
        "since": "2017-11-27T14:52",
        "until": "2017-11-27T14:53",
        "min_duration": "0.496574",
        "max_duration": "1.000001",
        "sort": "duration",
    }
    assert 'class="heat-8"' in html
    assert '<th scope="row">500 ms–1 s</th>' in html


def test_its_heatmap_keeps_the_path_and_shows_days_over_a_month(client, make_call):
    now = timezone.now()
    make_call(
        created=now - timedelta(days=3),
        path="/other",
        started_at=now,
        completed_at=now + timedelta(seconds=3),
    )
    html = client.get("/apps/myapp/trends/?window=30d&path=/other").content.decode()
    [(query, name)] = heat_cells(html)
    assert query["path"] == "/other"
    assert "max_duration" in query
    assert name == f"1 call, 2 s–5 s, {now - timedelta(days=3):%Y-%m-%d}"


def test_it_sizes_each_path(client, make_call):
    for i in range(60):
        make_call(
            created=T0 + timedelta(seconds=i),
            metrics={"mem_usage": (20 + i % 5) * MIB, "mem_limit": 256 * MIB, "cpu_total": 30},
        )
    for _ in range(3):
        make_call(
            created=T0, path="/other", metrics={"mem_usage": 120 * MIB, "mem_limit": 128 * MIB}
        )
    html = client.get(
        "/apps/myapp/trends/?since=2017-11-27T14:30&until=2017-11-27T15:30"
    ).content.decode()
    assert "could run in 32 MiB" in html  # 24 MiB plus a fifth
    assert "needs 50 calls, has 3" in html
    assert "largest peak plus 20% headroom, rounded up to a multiple of 32 MiB" in html
    one = client.get(
        "/apps/myapp/trends/?since=2017-11-27T14:30&until=2017-11-27T15:30&path=/other"
    )
    assert "could run in" not in one.content.decode()
    assert "needs 50 calls, has 3" in one.content.decode()
