"""A client generated at run time from Fn's own swagger-v1.yml (bravado), with response
validation on, works against a live fnweb unchanged."""

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import yaml
from bravado.client import SwaggerClient
from bravado.exception import HTTPNotFound
from bravado.requests_client import RequestsClient

from calls.fntime import NS_PER_SECOND
from calls.models import CallLog
from calls.stats import dump_points
from tests.conftest import FN_SWAGGER, T0


@pytest.fixture
def fn_client(live_server):
    # Through JSON, as Swagger tools read YAML: response codes like 200 become "200".
    spec = json.loads(json.dumps(yaml.safe_load(FN_SWAGGER.read_text())))
    spec["host"] = urlsplit(live_server.url).netloc  # the spec names Fn's 127.0.0.1:8080
    spec["schemes"] = ["http"]
    config = {"validate_responses": True, "validate_swagger_spec": True, "use_models": False}
    http = RequestsClient()
    yield SwaggerClient.from_spec(spec, origin_url=live_server.url, http_client=http, config=config)
    # Its kept-alive sockets hold the live server's threads, and each thread its database
    # connection (kept between requests), which would stop the test database being dropped.
    http.session.close()


def test_an_fn_client_lists_calls_with_cursors_and_reads_them(fn_client, make_call):
    points = [
        (i * NS_PER_SECOND, {"cpu_total": 5 + i, "mem_usage": 2**40, "net_rx": 100 * i})
        for i in range(3)
    ]
    made = [
        make_call(created=T0 + timedelta(seconds=i), stats=dump_points(points)) for i in range(5)
    ]
    CallLog.objects.create(call=made[0], text="First line\nSecond line\n")

    seen, cursor = [], None
    while True:
        page = fn_client.Call.get_apps_app_calls(app="myapp", per_page=2, cursor=cursor).response()
        seen += [call["id"] for call in page.result["calls"]]
        cursor = page.result["next_cursor"]
        if not cursor:
            break
    assert seen == [call.id for call in reversed(made)]

    call = fn_client.Call.get_apps_app_calls_call(app="myapp", call=made[0].id).response().result
    assert call["call"]["id"] == made[0].id
    metrics = call["call"]["stats"][2]["metrics"]
    # bravado fills the metrics the spec names but the call lacks with None.
    assert {key: value for key, value in metrics.items() if value is not None} == {
        "cpu_total": 7,
        "mem_usage": 2**40,
        "net_rx": 200,
    }

    log = fn_client.Call.get_apps_app_calls_call_log(app="myapp", call=made[0].id).response()
    assert log.result["log"]["log"] == "First line\nSecond line\n"


def test_an_fn_client_sees_fns_not_found(fn_client, make_call):
    make_call()
    with pytest.raises(HTTPNotFound) as error:
        fn_client.Call.get_apps_app_calls_call(app="myapp", call="dummy").response()
    assert error.value.swagger_result["error"]["message"] == "Call not found"
