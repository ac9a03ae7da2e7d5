"""Production settings: `check --deploy` is clean with the environment the README documents,
and every response carries the Content Security Policy."""

import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT

# The README's production environment (section "Production").
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "fnweb.example.com",
    "SECURE_HSTS_PRELOAD": "true",
}


def manage(*args, **env):
    ours = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("SECURE_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deployment_checks_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_passes_them_behind_a_proxy_that_terminates_tls():
    proxied = {**PRODUCTION, "SECURE_SSL_REDIRECT": "false", "SECURE_PROXY_SSL_HEADER": "true"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **proxied)
    # Django asks for the redirect; a proxy that does it is the documented exception.
    assert "security.W008" in result.stderr
    assert result.stderr.count("(security.") == 1


def test_it_leaves_hsts_preload_to_the_operator():
    without = {k: v for k, v in PRODUCTION.items() if k != "SECURE_HSTS_PRELOAD"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **without)
    assert "security.W021" in result.stderr
    assert result.stderr.count("(security.") == 1


def test_it_fails_them_in_development():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on


def test_it_sends_a_content_security_policy(client, db):
    policy = client.get("/healthz")["Content-Security-Policy"]
    assert policy == (
        "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
    )


def test_it_allows_scripts_from_our_own_origin_only_when_chartjs_is_self_hosted(
    client, db, settings
):
    settings.CHARTJS_URL = "/static/vendor/chartjs/chart.umd.min.js"
    policy = client.get("/healthz")["Content-Security-Policy"]
    assert "script-src 'self';" in policy


def test_it_allows_inline_styles_on_the_api_docs_page_alone(client, db):
    docs = client.get("/api/docs/")
    # Swagger UI sets style attributes as it draws; its script is a file (the split view).
    assert '<div id="swagger-ui">' in docs.content.decode()
    assert "style-src 'self' 'unsafe-inline';" in docs["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.jsdelivr.net;" in docs["Content-Security-Policy"]
    assert "style-src 'self';" in client.get("/api/schema/")["Content-Security-Policy"]
