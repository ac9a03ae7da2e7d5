import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_it_lists_every_app_with_its_figures_over_the_last_day(client, make_call):
    now = timezone.now()
    make_call(app="shop", status="error", created=now - timedelta(hours=2))
    newest = make_call(app="shop", created=now - timedelta(hours=1))
    make_call(app="shop", status="timeout", created=now - timedelta(days=2))
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/apps/shop/calls/">shop</a>' in html
    assert "50.0 %" in html  # one of the two calls of the last 24 hours failed
    # make_call's calls run from +5 ms to +1 s: 995 ms, shown as the rollups' 1% bin holding it
    assert "990\u00a0ms" in html
    assert f"{newest.created_at:%Y-%m-%d %H:%M:%S}" in html
    assert '<a href="?window=24h" aria-current="true">24h</a>' in html


@pytest.mark.parametrize(
    ("window", "failed"),
    [
        ("1h", '<td class="num" data-label="Failed">0.0 %</td>'),
        (
            "7d",
            'title="The calls of shop that ended in error or timeout in the last 7d">66.7 %</a>',
        ),
        ("x", 'in the last 24h">50.0 %</a>'),  # unknown: the default, 24 hours
    ],
)
def test_it_shows_the_span_picked(client, make_call, window, failed):
    now = timezone.now()
    make_call(app="shop", created=now - timedelta(minutes=30))
    make_call(app="shop", status="error", created=now - timedelta(hours=2))
    make_call(app="shop", status="timeout", created=now - timedelta(days=2))
    html = client.get("/", {"window": window}).content.decode()
    assert failed in html


def test_it_links_each_count_to_exactly_the_calls_it_counts(client, make_call):
    now = timezone.now()
    make_call(app="shop", created=now - timedelta(minutes=30))
    make_call(app="shop", status="error", created=now - timedelta(hours=2))
    make_call(app="idle", created=now - timedelta(days=10))
    html = client.get("/", {"window": "7d"}).content.decode()
    assert '<a href="/apps/shop/calls/?window=7d">2</a>' in html
    assert '<a href="/apps/shop/calls/?status=failed&amp;window=7d" title=' in html
    assert 'data-label="Calls">0</td>' in html  # nothing to link to for idle
    failed = client.get("/apps/shop/calls/", {"status": "failed", "window": "7d"})
    assert "1 of 1" in failed.content.decode()


def test_it_links_the_demo_apps(client):
    call_command("seed_demo", calls=12)
    html = client.get("/").content.decode()
    for app in ("shop", "media", "reports"):
        assert f'href="/apps/{app}/calls/"' in html


def test_it_explains_how_to_ingest_without_apps(client):
    html = client.get("/").content.decode()
    assert "No apps yet" in html
    assert "create_api_token" in html
    assert "/v1/apps/myapp/calls" in html
    assert "seed_demo" in html


def test_it_takes_one_index_lookup_per_app_and_one_query_for_the_window(
    client, make_call, django_assert_num_queries
):
    make_call(app="a")
    with django_assert_num_queries(2 + 1):
        client.get("/")
    for name in "bcdefgh":
        make_call(app=name)
        make_call(app=name, status="timeout")
    with django_assert_num_queries(2 + 8):
        client.get("/")


def test_it_asks_for_login_when_reads_need_it(client, admin_client, settings):
    settings.READ_REQUIRES_LOGIN = True
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/"
    assert admin_client.get("/").status_code == 200


def test_it_answers_unknown_pages_with_a_404_page(client):
    response = client.get("/nope/")
    assert response.status_code == 404
    assert "See all apps" in response.content.decode()


def test_a_30_day_window_counts_from_midnight_as_its_chart_does(client, make_call):
    now = timezone.now()
    if (now + timedelta(seconds=5)).date() != now.date():  # the view must see the same day
        time.sleep(6)
        now = timezone.now()
    midnight = (now - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    make_call(app="shop", created=midnight)  # before now - 30 days, on its day
    make_call(app="shop", created=midnight - timedelta(minutes=1))  # the day before
    make_call(app="shop", created=now - timedelta(hours=1))
    html = client.get("/", {"window": "30d"}).content.decode()
    assert '<a href="/apps/shop/calls/?window=30d">2</a>' in html
    assert f"since {midnight:%Y-%m-%d %H:%M}" in html
    listed = client.get("/apps/shop/calls/", {"window": "30d"}).content.decode()
    assert "2 of 2" in listed
    trends = client.get("/v1/apps/shop/trends", {"window": "30d"}).json()
    assert trends["buckets"][0]["start"] == f"{midnight:%Y-%m-%dT%H:%M:%S}.000Z"
    assert sum(bucket["calls"] for bucket in trends["buckets"]) == 2
