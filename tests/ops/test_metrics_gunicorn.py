"""Under gunicorn with two workers, /metrics adds up what every worker counted, and the logs
on stdout are JSON lines. A real gunicorn on a free port, as `make serve` runs it."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

REQUESTS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def wait_until_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            get(base + "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not become ready")


def readyz_count(metrics: str) -> float:
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == "fnweb_http_request_duration_seconds_count" and sample.labels == {
                "view": "readyz",
                "status": "200",
            }:
                return sample.value
    return 0


def test_it_adds_up_the_counts_of_every_worker(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    manage = [sys.executable, "manage.py", "migrate", "--noinput"]
    subprocess.run(manage, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    # Files, not pipes: a pipe nobody reads until the end would fill up and stall gunicorn.
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("w") as out, stderr.open("w") as err:
        server = subprocess.Popen(
            [gunicorn, "--config", "fnweb/gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")},
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    sent = 0
    try:
        wait_until_ready(base, server)
        # The second worker may still be loading Django when the first answers, so rounds go
        # until both have answered (each worker's histograms have a file of their own), eight
        # at a time so that both are kept busy; /readyz reads the migrations.
        with ThreadPoolExecutor(8) as pool:
            while len(list((tmp_path / "metrics").glob("histogram_*.db"))) < 2 and sent < 600:
                list(pool.map(lambda _: get(base + "/readyz"), range(REQUESTS)))
                sent += REQUESTS
        # Whichever worker answers the scrape reports the total of both.
        scrapes = [readyz_count(get(base + "/metrics").decode()) for _ in range(4)]
        # A worker that exits (gunicorn recycles them) leaves its counts to be reported.
        first = min((tmp_path / "metrics").glob("histogram_*.db"))
        os.kill(int(first.stem.removeprefix("histogram_")), signal.SIGTERM)
        scrapes += [readyz_count(get(base + "/metrics").decode()) for _ in range(4)]
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert scrapes == [sent] * 8, stderr.read_text()
    logs = [json.loads(line) for line in stdout.read_text().splitlines()]
    readyz_pids = {log["pid"] for log in logs if '"GET /readyz' in log["message"]}
    assert len(readyz_pids) == 2, "both workers answered"
    assert {log["logger"] for log in logs} >= {"gunicorn.error", "gunicorn.access"}
