"""The trends page: charts over a table of every bucket, from rollups."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import T0

pytestmark = pytest.mark.django_db


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
    assert html.count('<tr>\n      <th scope="row">') == 2


def test_it_narrows_to_a_path_and_a_preset(client, make_call):
    now = timezone.now()
    make_call(created=now - timedelta(hours=3))
    make_call(created=now - timedelta(hours=2), path="/other")
    response = client.get("/apps/myapp/trends/?window=7d&path=/other")
    html = response.content.decode()
    assert "per hour" in html
    assert html.count('<tr>\n      <th scope="row">') == 1
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
