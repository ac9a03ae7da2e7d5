"""GET /v1/apps/{app}/calls: Fn's TestCallList and datastore `calls-get`, and our extensions."""

from datetime import timedelta

import pytest

from calls.stats import MAX_METRIC
from tests.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_calls(make_call):
    """Fn's TestCallList fixture: created now, +100 s and +200 s, ids in that order."""
    call = make_call(path="/thisisatest", created=T0)
    c2 = make_call(path="test2", created=T0 + timedelta(seconds=100))
    c3 = make_call(path="/test3", created=T0 + timedelta(seconds=200))
    return call, c2, c3


def listing(client, query="", app="myapp", status=200):
    response = client.get(f"/v1/apps/{app}/calls{query}")
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def ids(body):
    return [call["id"] for call in body["calls"]]


def test_it_lists_all_calls_newest_first(client, three_calls):
    call, c2, c3 = three_calls
    body = listing(client)
    assert body["message"] == "Successfully listed calls"
    assert ids(body) == [c3.id, c2.id, call.id]
    assert body["next_cursor"] == ""


def test_it_pages_with_the_raw_id_as_cursor(client, three_calls):
    call, c2, c3 = three_calls
    body = listing(client, "?per_page=1")
    assert (ids(body), body["next_cursor"]) == ([c3.id], c3.id)
    body = listing(client, f"?per_page=1&cursor={c3.id}")
    assert (ids(body), body["next_cursor"]) == ([c2.id], c2.id)
    body = listing(client, f"?per_page=1&cursor={c2.id}")
    assert (ids(body), body["next_cursor"]) == ([call.id], call.id)


def test_it_leaves_the_cursor_empty_when_the_page_is_not_full(client, three_calls):
    call, c2, _ = three_calls
    body = listing(client, f"?per_page=100&cursor={c2.id}")
    assert (ids(body), body["next_cursor"]) == ([call.id], "")


def test_it_answers_a_cursor_past_the_end_with_an_empty_page(client, three_calls):
    call, _, _ = three_calls
    body = listing(client, f"?per_page=1&cursor={call.id}")
    assert body == {"message": "Successfully listed calls", "next_cursor": "", "calls": []}


def test_it_filters_by_exclusive_time_bounds(client, three_calls):
    call, c2, c3 = three_calls
    from_time = int(call.created_at.timestamp()) + 1
    to_time = int(c3.created_at.timestamp()) - 1
    assert ids(listing(client, f"?from_time={from_time}&to_time={to_time}")) == [c2.id]


def test_it_excludes_calls_exactly_on_a_bound(client, make_call):
    # Datastore `calls-get`: from = first.created_at, to = c3.created_at returns only c2.
    on_second = T0.replace(microsecond=0)
    first = make_call(created=on_second)
    c2 = make_call(created=on_second + timedelta(seconds=1))
    make_call(created=on_second + timedelta(seconds=2))
    seconds = int(first.created_at.timestamp())
    assert ids(listing(client, f"?from_time={seconds}&to_time={seconds + 2}")) == [c2.id]


@pytest.mark.parametrize("name", ["from_time", "to_time"])
@pytest.mark.parametrize("value", ["xyz", "1.5", "12abc", "99999999999999999999", "%D9%A3"])
def test_it_rejects_times_that_are_not_epoch_seconds(client, three_calls, name, value):
    body = listing(client, f"?{name}={value}", status=400)
    assert body == {"error": {"message": f"{name} is not an epoch time"}}


def test_it_takes_extreme_epoch_seconds(client, three_calls):
    assert len(listing(client, "?from_time=-9223372036854775808")["calls"]) == 3
    assert len(listing(client, "?to_time=9223372036854775807")["calls"]) == 3
    assert listing(client, "?from_time=9223372036854775807")["calls"] == []


def test_it_filters_by_path(client, three_calls):
    _, c2, _ = three_calls
    assert ids(listing(client, "?path=test2")) == [c2.id]
    assert listing(client, "?path=wrongpath")["calls"] == []


@pytest.mark.parametrize(
    ("per_page", "expected"),
    [("", 30), ("0", 30), ("-5", 30), ("abc", 30), ("2.5", 30), ("\u0663", 30),
     ("7", 7), ("%2B7", 7), ("100", 100), ("101", 100), ("100000", 100)],
)  # fmt: skip
def test_it_applies_fns_per_page_rules(client, make_call, per_page, expected):
    for i in range(120):
        make_call(created=T0 + timedelta(seconds=i))
    assert len(listing(client, f"?per_page={per_page}")["calls"]) == expected


def test_it_answers_a_missing_app_name(client):
    assert listing(client, app="", status=400) == {"error": {"message": "Missing app name"}}


def test_it_answers_an_unknown_app(client, three_calls):
    assert listing(client, app="nodawg", status=404) == {"error": {"message": "App not found"}}


def test_it_lists_an_app_whose_calls_were_all_filtered_away(client, three_calls):
    assert listing(client, "?path=nothing-here")["calls"] == []


def test_it_lists_only_the_apps_own_calls(client, make_call, three_calls):
    make_call(app="other")
    assert len(listing(client)["calls"]) == 3
    assert len(listing(client, app="other")["calls"]) == 1


def test_it_prints_calls_as_fn_did(client, make_call):
    call = make_call(
        path="/hello",
        status="error",
        error="container exited with code 1",
        completed_at=None,
        stats=[
            {
                "metrics": {"net_rx": MAX_METRIC, "cpu_user": 2},
                "timestamp": "2017-11-27T14:52:53.123Z",
            }
        ],
    )
    (printed,) = listing(client)["calls"]
    assert list(printed) == [
        "id", "status", "app_name", "path", "completed_at", "created_at", "started_at", "stats",
        "error",
    ]  # fmt: skip
    assert printed["id"] == call.id
    assert printed["app_name"] == "myapp"
    assert printed["created_at"] == "2017-11-27T14:52:53.123Z"
    assert printed["started_at"] == "2017-11-27T14:52:53.128Z"
    assert printed["completed_at"] == "0001-01-01T00:00:00.000Z"
    assert printed["stats"] == [
        {"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"cpu_user": 2, "net_rx": MAX_METRIC}}
    ]
    assert list(printed["stats"][0]["metrics"]) == ["cpu_user", "net_rx"]
    assert printed["error"] == "container exited with code 1"


def test_it_leaves_out_empty_stats_and_error(client, make_call):
    make_call()
    (printed,) = listing(client)["calls"]
    assert "stats" not in printed
    assert "error" not in printed


def test_it_filters_by_status(client, make_call):
    make_call(status="success")
    failed = make_call(status="timeout")
    assert ids(listing(client, "?status=timeout")) == [failed.id]
    assert len(ids(listing(client, "?status="))) == 2
    body = listing(client, "?status=exploded", status=400)
    assert body["error"]["message"].startswith("status must be one of success, error, timeout")


def test_it_filters_by_several_statuses_or_failed(client, make_call):
    error, timeout, cancelled, _ = (
        make_call(status=status, created=T0 + timedelta(seconds=i))
        for i, status in enumerate(["error", "timeout", "cancelled", "success"])
    )
    assert ids(listing(client, "?status=failed")) == [timeout.id, error.id]
    assert ids(listing(client, "?status=cancelled,error")) == [cancelled.id, error.id]
    body = listing(client, "?status=error,exploded", status=400)
    assert body["error"]["message"].endswith("or failed, or several separated by commas")


def test_it_leaves_stats_out_of_the_list_on_request(client, make_call, django_assert_num_queries):
    make_call(stats=[{"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"cpu_user": 2}}])
    with django_assert_num_queries(1) as captured:
        body = listing(client, "?stats=false")
    assert "stats" not in body["calls"][0]
    assert '"stats"' not in captured.captured_queries[0]["sql"].replace("`", '"')


def test_it_lists_a_full_page_in_one_query(client, make_call, django_assert_num_queries):
    for i in range(100):
        make_call(created=T0 + timedelta(seconds=i))
    with django_assert_num_queries(1):
        assert len(listing(client, "?per_page=100")["calls"]) == 100
