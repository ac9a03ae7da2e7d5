"""A chunked ingest body (no Content-Length, as streaming senders post) under a real gunicorn,
which takes the chunks apart: stored when within INGEST_MAX_BODY_BYTES, 413 past it."""

import http.client
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

from tests.api.conftest import fn_call
from tests.conftest import ROOT
from tests.ops.live_gunicorn import get, gunicorn


def post_chunked(base: str, token: str, chunks: list[bytes]) -> tuple[int, dict]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    # An iterable body without a length: http.client sends it chunked.
    connection.request("POST", "/v1/apps/myapp/calls", iter(chunks), headers, encode_chunked=True)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_it_reads_a_chunked_body_within_the_size_cap(tmp_path):
    with gunicorn(tmp_path, INGEST_MAX_BODY_BYTES="20000") as base:
        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
        command = [sys.executable, "manage.py", "create_api_token", "chunked"]
        token = subprocess.run(
            command, cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        body = json.dumps({"calls": [fn_call(id=f"c{i}") for i in range(3)]}).encode()
        status, answer = post_chunked(base, token, [body[:50], body[50:120], body[120:]])
        assert status == 201, answer
        assert [call["created"] for call in answer["calls"]] == [True] * 3
        stored = json.loads(get(base + "/v1/apps/myapp/calls"))["calls"]
        assert sorted(call["id"] for call in stored) == ["c0", "c1", "c2"]

        status, answer = post_chunked(base, token, [b" " * 15000, b" " * 15000, body])
        assert status == 413
        assert answer == {
            "error": {"message": "Request body is larger than the limit of 20000 bytes"}
        }
