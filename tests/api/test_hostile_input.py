"""What a hostile or broken client can send the API: each answers 4xx in Fn's error shape,
names what is wrong, and stores nothing."""

import base64

import pytest

from calls.ingest import MAX_LOG_LENGTH, MAX_RAW_POINTS
from calls.models import App, Call
from calls.stats import MAX_METRIC_NAME_LENGTH, MAX_METRIC_NAMES
from tests.api.conftest import fn_call, post, raw_stats

pytestmark = pytest.mark.django_db


def point(**metrics) -> dict:
    return {"timestamp": "2017-11-27T14:52:54Z", "metrics": metrics}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 5000 + "]" * 5000, "JSON parse error - depth limit exceeded"),
        ('{"call": {"path": "/\\ud800"}}', "JSON parse error - no low surrogate"),
        ('{"call": {"status": "success", "\\udfff": 1}}', "JSON parse error - "),
        (b'{"call": {"path": "/caf\xe9"}}', "JSON parse error - str is not valid UTF-8"),
        ('{"call": {"status": 1e400}}', "JSON parse error - number is infinity"),
    ],
)
def test_it_refuses_json_that_python_would_take_badly(api, body, message):
    response = post(api, body, status=400)
    assert response["error"]["message"].startswith(message)
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"created_at": "2017-11-27T14:52:53+24:00"}, "call.created_at: '2017-11-27T14:52:53+24"),
        ({"created_at": "2017-11-27T14:52:53-00:60"}, "call.created_at: '2017-11-27T14:52:53-00"),
        ({"created_at": "２０17-11-27T14:52:53Z"}, "call.created_at: '２０17"),
        ({"started_at": "2017-11-27T14:52:52Z"}, "call.started_at is before created_at"),
        ({"completed_at": "2017-11-27T14:52:53.150Z"}, "call.completed_at is before started_at"),
        (
            {"started_at": None, "completed_at": "2017-11-27T14:52:50Z"},
            "call.completed_at is before created_at",
        ),
        ({"log": "x" * (MAX_LOG_LENGTH + 1)}, "call.log is longer than 1048576 characters"),
        ({"error": "x" * 70_000}, "call.error is longer than 65536 characters"),
    ],
)
def test_it_refuses_times_and_texts_it_cannot_trust(api, fields, message):
    response = post(api, {"call": fn_call(**fields)}, status=400)
    assert response["error"]["message"].startswith(message)
    assert not Call.objects.exists()


def test_it_bounds_what_one_call_may_carry(api):
    too_many = raw_stats(MAX_RAW_POINTS + 1)
    response = post(api, {"call": fn_call(stats=too_many)}, status=413)
    assert response["error"]["message"] == (
        f"call.stats has {MAX_RAW_POINTS + 1} points; the limit is {MAX_RAW_POINTS}"
    )
    long_name = {"m" * (MAX_METRIC_NAME_LENGTH + 1): 1}
    response = post(api, {"call": fn_call(stats=[point(**long_name)])}, status=400)
    assert response["error"]["message"] == "call.stats[0].metrics names are at most 64 characters"
    # Few names in each point, but many across them: the histogram's names are bounded.
    spread = [point(**{f"m{i}": 1}) for i in range(MAX_METRIC_NAMES + 1)]
    response = post(api, {"call": fn_call(stats=spread)}, status=400)
    assert response["error"]["message"] == "call.stats name more than 16 different metrics"
    assert not Call.objects.exists()
    post(api, {"call": fn_call(stats=raw_stats(MAX_RAW_POINTS))})  # the limit itself is fine


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"per_page": "9" * 5000}, None),  # past Python's int-parsing limit: Fn's default
        ({"from_time": "9" * 5000}, "from_time is not an epoch time"),
        ({"to_time": "-" + "9" * 30}, "to_time is not an epoch time"),
    ],
)
def test_it_reads_numbers_of_any_length_in_the_query(client, make_call, query, message):
    make_call()
    response = client.get("/v1/apps/myapp/calls", query)
    if message is None:
        assert response.status_code == 200
        assert len(response.json()["calls"]) == 1
    else:
        assert response.status_code == 400
        assert response.json() == {"error": {"message": message}}


@pytest.mark.parametrize("name", ["a\x00b", "\x00"])
def test_it_refuses_app_cursors_that_decode_to_nul(client, db, name):
    App.objects.create(name="myapp")
    cursor = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    response = client.get("/v1/apps", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "cursor is not valid"}}
