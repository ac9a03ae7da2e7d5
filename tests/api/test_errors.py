"""Every API error leaves in Fn's shape, as JSON, never a traceback or an HTML page."""

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def assert_fn_error(response, status, message):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"error": {"message": message}}


def test_it_answers_unknown_paths_like_fn(client):
    assert_fn_error(client.get("/v1/nothing/here"), 404, "Path not found")
    assert_fn_error(client.get("/v1/apps/myapp/calls/x/y/z"), 404, "Path not found")


@pytest.mark.parametrize("debug", [True, False])
def test_it_answers_unknown_paths_in_json_whatever_debug_says(client, settings, debug):
    settings.DEBUG = debug
    assert_fn_error(client.get("/v1/unknown"), 404, "Path not found")


def test_it_refuses_methods_fn_does_not_have(api):
    assert_fn_error(api.delete("/v1/apps/myapp/calls"), 405, 'Method "DELETE" not allowed.')
    assert_fn_error(api.post("/v1/apps/myapp/calls/x"), 405, 'Method "POST" not allowed.')


def test_it_answers_a_database_failure_without_a_traceback(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/v1/apps/myapp/calls")
    monkeypatch.undo()
    assert_fn_error(response, 500, "internal server error")
    assert b"Traceback" not in response.content


# The Fn CLI sends its FN_TOKEN as a bearer token.
@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_it_can_keep_reads_behind_login(client, settings, make_call, token, keyword):
    settings.READ_REQUIRES_LOGIN = True
    make_call()
    assert_fn_error(
        client.get("/v1/apps/myapp/calls"), 401, "Authentication credentials were not provided."
    )
    response = client.get("/v1/apps/myapp/calls", HTTP_AUTHORIZATION=f"{keyword} {token}")
    assert response.status_code == 200
    assert len(response.json()["calls"]) == 1


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/v1/apps/myapp/calls?path=a%00b", "path"),
        ("/v1/apps/myapp/calls?cursor=%00", "cursor"),
        ("/v1/apps/my%00app/calls", "app"),
        ("/v1/apps/myapp/calls/a%00b", "call"),
        ("/v1/apps/myapp/calls/a%00b/log", "call"),
        ("/v1/apps?cursor=%00", "cursor"),
    ],
)
def test_it_refuses_nul_characters_that_postgresql_cannot_compare(client, make_call, url, name):
    make_call()
    assert_fn_error(client.get(url), 400, f"{name} must not contain NUL characters")
