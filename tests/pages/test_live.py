"""What the calls list and trends pages give Follow live (static/js/calls_live.js, trends.js):
the poll's address and cursor, and no offer where following cannot work."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import T0

pytestmark = pytest.mark.django_db


def live_block(html: str) -> str:
    return re.search(r'<div class="live" id="live"[^>]*>', html).group(0)


def test_the_list_gives_the_poll_its_address_cursor_and_filters(client, make_call):
    make_call(created=T0)
    newest = make_call(created=T0 + timedelta(seconds=1), status="error")
    html = client.get("/apps/myapp/calls/", {"path": "/hello", "status": "failed"}).content.decode()
    block = live_block(html)
    assert 'data-url="/v1/apps/myapp/live"' in block
    assert f'data-after="{newest.id}"' in block
    assert 'data-path="/hello"' in block
    assert 'data-status="failed"' in block
    assert " hidden " in block  # the script shows it: without JavaScript there is no toggle
    assert "data-off" not in block
    assert 'aria-live="polite"' in html


@pytest.mark.parametrize(
    "query",
    ["cursor={id}", "after={id}", "until=2030-01-01T00:00", "sort=duration", "min_duration=0.5"],
)
def test_the_list_offers_no_following_but_on_its_first_page_newest_first(client, make_call, query):
    older = make_call(created=T0)
    newer = make_call(created=T0 + timedelta(seconds=1))
    # A page after the newer call, and one before the older: each shows the other call.
    cursor = query.format(id=newer.id if query.startswith("cursor") else older.id)
    html = client.get(f"/apps/myapp/calls/?{cursor}").content.decode()
    assert 'data-off="Follow live works on the first page of the list, newest first' in live_block(
        html
    )


def test_an_empty_list_offers_no_following(client, make_call):
    make_call()
    html = client.get("/apps/myapp/calls/", {"status": "timeout"}).content.decode()
    assert 'id="live"' not in html


def test_the_trends_page_follows_a_window_ending_now_only(client, make_call):
    now = timezone.now()
    make_call(created=now - timedelta(minutes=5))  # the charts show only with calls to draw
    since = now - timedelta(hours=1)
    html = client.get("/apps/myapp/trends/", {"window": "7d", "path": "/hello"}).content.decode()
    assert 'data-url="/v1/apps/myapp/trends?window=7d&amp;path=/hello"' in html
    html = client.get("/apps/myapp/trends/", {"since": f"{since:%Y-%m-%dT%H:%M}"}).content.decode()
    assert 'id="trend-follow"' not in html
