"""The served OpenAPI schema: Fn's endpoints as swagger-v1.yml has them, every answer as the
schema says (schemathesis against a live server), and docs that work offline."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders

from calls.api.schema import IngestCallSerializer
from calls.ingest import STORED_FIELDS
from calls.models import App
from tests.conftest import FN_SWAGGER

FN_CALL_PATHS = ["/apps/{app}/calls", "/apps/{app}/calls/{call}", "/apps/{app}/calls/{call}/log"]


@pytest.fixture
def served_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("path", FN_CALL_PATHS)
def test_it_describes_fns_call_endpoints_as_fn_did(served_schema, path):
    fn = yaml.safe_load(FN_SWAGGER.read_text())["paths"][path]["get"]
    ours = served_schema["paths"]["/v1" + path]["get"]
    our_parameters = {(p["name"], p["in"]): p["schema"]["type"] for p in ours["parameters"]}
    for parameter in fn["parameters"]:
        assert our_parameters[(parameter["name"], parameter["in"])] == parameter["type"]
    assert {str(code) for code in fn["responses"]} <= set(ours["responses"])


@pytest.mark.django_db
def test_it_serves_interactive_docs_from_its_own_static_files(client):
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    # A file of our own static files, which collectstatic gathers and WhiteNoise serves.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.mark.django_db
def test_it_answers_options_on_the_docs_without_an_error(client):
    response = client.options("/api/docs/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"error": {"message": 'Method "OPTIONS" not allowed.'}}


def test_it_documents_exactly_the_fields_ingest_takes():
    assert set(IngestCallSerializer().fields) == STORED_FIELDS


@pytest.mark.slow
def test_it_answers_every_request_as_its_schema_says(live_server, token, tmp_path):
    """schemathesis, from its command line, against a live fnweb on this run's database:
    generated valid and invalid requests to every operation, and sequences of them."""
    App.objects.create(name="myapp")
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,"
    checks += "response_schema_conformance"
    result = subprocess.run(
        [Path(sys.executable).parent / "schemathesis", "run", f"{live_server.url}/api/schema/",
         "--checks", checks, "--header", f"Authorization: Token {token}",
         "--max-examples", "25", "--seed", "1", "--generation-database", "none",
         "--workers", "1", "--no-color"],
        capture_output=True, text=True, timeout=400, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested: 11" in result.stdout
    assert "No issues found" in result.stdout
