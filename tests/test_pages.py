import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_shows_the_apps_overview(client):
    call_command("seed_demo", calls=12)
    response = client.get("/")
    assert response.status_code == 200
    for app in ("shop", "media", "reports"):
        assert f"<td>{app}</td>" in response.content.decode()


def test_it_explains_what_to_do_without_calls(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "seed_demo" in response.content.decode()
