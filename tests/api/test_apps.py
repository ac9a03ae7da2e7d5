"""GET /v1/apps and /v1/apps/{app}, in Fn's app shapes, so `fn apps list` works."""

import base64

import pytest

from calls.models import App

pytestmark = pytest.mark.django_db


def test_it_lists_apps_alphabetically(client):
    App.objects.bulk_create([App(name=name) for name in ["zeta", "alpha", "mid"]])
    body = client.get("/v1/apps").json()
    assert body == {
        "message": "Successfully listed applications",
        "next_cursor": "",
        "apps": [{"name": "alpha"}, {"name": "mid"}, {"name": "zeta"}],
    }


def test_it_pages_apps_with_fns_base64_cursor(client):
    App.objects.bulk_create([App(name=f"app{i}") for i in range(5)])
    first = client.get("/v1/apps?per_page=2").json()
    assert [app["name"] for app in first["apps"]] == ["app0", "app1"]
    assert first["next_cursor"] == base64.urlsafe_b64encode(b"app1").decode().rstrip("=")
    second = client.get(f"/v1/apps?per_page=2&cursor={first['next_cursor']}").json()
    assert [app["name"] for app in second["apps"]] == ["app2", "app3"]


def test_it_rejects_a_cursor_that_is_not_base64(client):
    response = client.get("/v1/apps?cursor=%25%25")
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "cursor is not valid"}}


def test_it_loads_an_app(client):
    App.objects.create(name="myapp")
    assert client.get("/v1/apps/myapp").json() == {
        "message": "Successfully loaded app",
        "app": {"name": "myapp"},
    }


def test_it_answers_an_unknown_app(client):
    response = client.get("/v1/apps/nodawg")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "App not found"}}
