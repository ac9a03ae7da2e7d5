"""POST /v1/apps/{app}/calls: authenticated, validated, reduced, idempotent, all or nothing."""

import pytest

from calls.ids import ALPHABET
from calls.models import App, Call, CallLog
from calls.stats import MAX_METRIC
from tests.api.conftest import fn_call, post, raw_stats

pytestmark = pytest.mark.django_db

def test_it_stores_a_call_reducing_its_stats(api):
    body = post(api, {"call": fn_call(id="c1", log="hello\n", stats=raw_stats(700))})
    assert body == {
        "message": "Successfully ingested calls",
        "calls": [{"id": "c1", "created": True}],
    }
    call = Call.objects.get(pk="c1")
    assert (call.app_id, call.path, call.status) == ("myapp", "/hello", "success")
    assert len(call.stats) == 240
    assert call.peak_cpu_total is not None
    assert call.log.text == "hello\n"
    assert api.get("/v1/apps/myapp/calls/c1").json()["call"]["started_at"] == (
        "2017-11-27T14:52:53.200Z"
    )


def test_it_gives_a_call_without_id_a_sortable_one_from_its_creation_time(api):
    later = fn_call(created_at="2017-11-27T14:52:54.000Z", started_at="2017-11-27T14:52:54.100Z")
    body = post(api, {"calls": [fn_call(), later]})
    older, newer = (call["id"] for call in body["calls"])
    assert len(older) == 26
    assert set(older) <= set(ALPHABET)
    assert older < newer
    assert older[:10] == "01BZYZEWG3"  # 2017-11-27T14:52:53.123Z in milliseconds


def test_it_keeps_the_largest_metric_values(api):
    post(api, {"call": fn_call(id="big", stats=raw_stats(3, net_rx=MAX_METRIC))})
    stored = api.get("/v1/apps/myapp/calls/big").json()["call"]["stats"]
    assert [point["metrics"]["net_rx"] for point in stored] == [MAX_METRIC] * 3


def test_it_ignores_fields_fn_never_stored(api):
    post(api, {"call": fn_call(id="c1", image="hello:0.0.1", type="sync", memory=128)})
    assert Call.objects.filter(pk="c1").exists()


def test_it_stores_nothing_new_when_a_call_is_sent_again(api):
    batch = {"calls": [fn_call(id="c1"), fn_call(id="c2")]}
    post(api, batch)
    batch["calls"].append(fn_call(id="c3"))
    body = post(api, batch)
    assert body["calls"] == [
        {"id": "c1", "created": False},
        {"id": "c2", "created": False},
        {"id": "c3", "created": True},
    ]
    assert Call.objects.count() == 3


def test_it_replaces_a_running_call_with_its_finished_report(api):
    post(api, {"call": fn_call(id="c1", status="running", completed_at=None)})
    body = post(api, {"call": fn_call(id="c1", status="error", error="boom", log="trace\n")})
    assert body["calls"] == [{"id": "c1", "created": False}]
    call = Call.objects.get(pk="c1")
    assert (call.status, call.error, call.log.text) == ("error", "boom", "trace\n")
    assert call.completed_at is not None


def test_it_keeps_a_finished_call_final(api):
    post(api, {"call": fn_call(id="c1", status="success", log="done\n")})
    post(api, {"call": fn_call(id="c1", status="running", log="late\n")})
    call = Call.objects.get(pk="c1")
    assert (call.status, call.log.text) == ("success", "done\n")


def test_it_keeps_the_log_when_a_replacing_report_has_none(api):
    post(api, {"call": fn_call(id="c1", status="queued", log="queued\n")})
    post(api, {"call": fn_call(id="c1", status="success")})
    assert CallLog.objects.get(call_id="c1").text == "queued\n"


@pytest.mark.parametrize(
    ("bad_call", "message"),
    [
        (fn_call(stats=raw_stats(5) + [{"timestamp": "2017-11-27T14:52:59Z",
                                        "metrics": {"cpu_user": -1}}]),
         "calls[1].stats[5].metrics.cpu_user must be an integer from 0 to 18446744073709551615"),
        (fn_call(stats=[{"timestamp": "2017-11-27T14:52:59Z", "metrics": {"cpu_user": 1.5}}]),
         "calls[1].stats[0].metrics.cpu_user must be an integer"),
        (fn_call(stats=[{"metrics": {}}]), "calls[1].stats[0].timestamp is missing"),
        (fn_call(stats={"cpu": 1}), "calls[1].stats must be a list of points"),
        (fn_call(status="exploded"), "calls[1].status must be one of success, error, timeout"),
        (fn_call(status=None), "calls[1].status is required"),
        (fn_call(path=None), "calls[1].path is required"),
        (fn_call(path="/" * 257), "calls[1].path is longer than 256 characters"),
        (fn_call(created_at=None), "calls[1].created_at is required"),
        (fn_call(created_at="0001-01-01T00:00:00.000Z"), "calls[1].created_at is required"),
        (fn_call(started_at="yesterday"), "calls[1].started_at: 'yesterday' is not an RFC 3339"),
        (fn_call(completed_at=1511794373), "calls[1].completed_at must be a string"),
        (fn_call(id="a/b"), "calls[1].id must be 1 to 255 letters"),
        (fn_call(id=".."), "calls[1].id must be 1 to 255 letters, digits or any of '_.:~-' (not"),
        (fn_call(stats=0), "calls[1].stats must be a list of points"),
        (fn_call(stats=False), "calls[1].stats must be a list of points"),
        (fn_call(stats={}), "calls[1].stats must be a list of points"),
        (fn_call(created_at="1969-12-31T23:59:59Z"), "calls[1].created_at is before 1970"),
        (fn_call(completed_at="9999-12-31T23:59:59-01:00"),
         "calls[1].completed_at: '9999-12-31T23:59:59-01:00' is outside years 1 to 9999"),
        (fn_call(error=["x"]), "calls[1].error must be a string"),
        (fn_call(log="a\x00b"), "calls[1].log must not contain NUL characters"),
        (fn_call(stats=[{"timestamp": "2017-11-27T14:52:59Z", "metrics": {"a\x00": 1}}]),
         "calls[1].stats[0].metrics name must not contain NUL characters"),
        (fn_call(colour="red"), "calls[1].colour is not a field of a call"),
        (fn_call(app_name="other"), "calls[1].app_name 'other' differs from app 'myapp'"),
        (fn_call(id="c0"), "calls[1].id repeats calls[0].id"),
        ("not an object", "calls[1] must be an object"),
    ],
)  # fmt: skip
def test_it_rejects_a_batch_with_one_bad_call_and_stores_nothing(api, bad_call, message):
    body = post(api, {"calls": [fn_call(id="c0"), bad_call]}, status=400)
    assert list(body) == ["error"]
    assert body["error"]["message"].startswith(message), body
    assert not Call.objects.exists()
    assert not App.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"calls": []}, "calls is empty"),
        ({"calls": {}}, 'Send {"call": {...}} or {"calls": [...]}'),
        ({"call": fn_call(), "calls": []}, 'Send {"call": {...}} or {"calls": [...]}'),
        ([fn_call()], 'Send {"call": {...}} or {"calls": [...]}'),
        ("{nope", "JSON parse error"),
        ('{"call": {"status": NaN}}', "JSON parse error"),
    ],
)
def test_it_rejects_bodies_of_the_wrong_shape(api, body, message):
    response = post(api, body, status=400)
    assert response["error"]["message"].startswith(message)


def test_it_rejects_a_bad_app_name(api):
    body = post(api, {"call": fn_call()}, app="no%20spaces", status=400)
    assert body["error"]["message"] == "App names are 1 to 255 letters, digits, '-' or '_'"


def test_it_limits_the_batch_size(api, settings):
    settings.INGEST_BATCH_SIZE = 2
    body = post(api, {"calls": [fn_call(), fn_call(), fn_call()]}, status=400)
    assert body["error"]["message"] == "3 calls in one request; the limit is 2"


def test_it_refuses_a_body_over_the_size_limit(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = post(api, {"call": fn_call(stats=raw_stats(50))}, status=413)
    assert body["error"]["message"] == "Request body is larger than the limit of 1000 bytes"
    assert not Call.objects.exists()


@pytest.mark.parametrize("length", ["ten", "-5", "1e3"])
def test_it_refuses_a_content_length_that_is_not_a_number(api, length):
    body = post(api, {"call": fn_call()}, status=400, CONTENT_LENGTH=length)
    assert body["error"]["message"] == "Content-Length must be a number of bytes"
    assert not Call.objects.exists()


def test_it_refuses_other_content_types(api):
    body = post(api, "status=success", content_type="application/x-www-form-urlencoded", status=415)
    assert body["error"]["message"].startswith('Unsupported media type "application/x-www-form')


def test_it_refuses_a_call_id_stored_in_another_app(api):
    post(api, {"call": fn_call(id="c1")}, app="other")
    body = post(api, {"calls": [fn_call(id="c0"), fn_call(id="c1")]}, status=409)
    assert body["error"]["message"] == "Call c1 is stored in another app"
    assert list(Call.objects.values_list("pk", "app_id")) == [("c1", "other")]
    assert not App.objects.filter(name="myapp").exists()


def test_it_tells_ids_app_names_and_paths_apart_by_case_on_every_database(api):
    # MariaDB's default collation would make these one call and one app (migration 0003).
    post(api, {"calls": [fn_call(id="c1", path="/hello"), fn_call(id="C1", path="/Hello")]})
    post(api, {"call": fn_call(id="c2")}, app="MyApp")
    assert Call.objects.count() == 3
    assert api.get("/v1/apps/myapp/calls/C1").json()["call"]["path"] == "/Hello"
    assert [call["id"] for call in api.get("/v1/apps/MyApp/calls").json()["calls"]] == ["c2"]
    listed = api.get("/v1/apps/myapp/calls", {"path": "/Hello"}).json()["calls"]
    assert [call["id"] for call in listed] == ["C1"]
    assert api.get("/v1/apps/MYAPP/calls/c1").status_code == 404
    # MariaDB's padding collations would also take "/hello " for "/hello".
    post(api, {"call": fn_call(id="c3", path="/hello ")})
    listed = api.get("/v1/apps/myapp/calls", {"path": "/hello"}).json()["calls"]
    assert [call["id"] for call in listed] == ["c1"]


def test_it_stores_a_call_sent_with_null_stats_as_having_none(api):
    post(api, {"call": fn_call(id="c1", stats=None) | {"stats": None}})
    assert Call.objects.get(pk="c1").stats == []


def test_it_moves_states_only_forward(api):
    post(api, {"call": fn_call(id="c1", status="running", completed_at=None)})
    post(api, {"call": fn_call(id="c1", status="queued", completed_at=None)})
    assert Call.objects.get(pk="c1").status == "running"
    post(api, {"call": fn_call(id="c1", status="running", completed_at=None, error="later")})
    assert Call.objects.get(pk="c1").error == "later"  # a later running report replaces
    post(api, {"call": fn_call(id="c1", status="timeout")})
    post(api, {"call": fn_call(id="c1", status="running", completed_at=None)})
    assert Call.objects.get(pk="c1").status == "timeout"
