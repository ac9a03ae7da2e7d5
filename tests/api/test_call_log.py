"""GET /v1/apps/{app}/calls/{call}/log."""

import pytest

from calls.models import CallLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_call(make_call):
    call = make_call()
    CallLog.objects.create(call=call, text="First line\nSecond line\n")
    return call


def test_it_loads_a_log_in_fns_envelope(client, logged_call):
    response = client.get(f"/v1/apps/myapp/calls/{logged_call.id}/log")
    assert response.status_code == 200
    assert response.json() == {
        "message": "Successfully loaded log",
        "log": {"call_id": logged_call.id, "log": "First line\nSecond line\n", "app_name": "myapp"},
    }


def test_it_answers_text_plain_with_the_bare_log(client, logged_call):
    response = client.get(f"/v1/apps/myapp/calls/{logged_call.id}/log", HTTP_ACCEPT="text/plain")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"First line\nSecond line\n"


def test_it_refuses_other_media_types(client, logged_call):
    response = client.get(f"/v1/apps/myapp/calls/{logged_call.id}/log", HTTP_ACCEPT="image/png")
    assert response.status_code == 406
    assert response.json()["error"]["message"].startswith("Could not satisfy the request Accept")


@pytest.mark.parametrize("app", ["myapp", "other"])
def test_it_answers_logs_it_does_not_have(client, make_call, logged_call, app):
    call_id = make_call().id if app == "myapp" else logged_call.id
    response = client.get(f"/v1/apps/{app}/calls/{call_id}/log")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Call log not found"}}


def test_it_answers_a_missing_log_as_text_too(client, make_call):
    call = make_call()
    response = client.get(f"/v1/apps/myapp/calls/{call.id}/log", HTTP_ACCEPT="text/plain")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Call log not found"}}
