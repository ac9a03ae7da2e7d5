"""Under gunicorn with two workers, /metrics adds up what every worker counted, and the logs
on stdout are JSON lines. A real gunicorn on a free port, as `make serve` runs it."""

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families

from tests.ops.live_gunicorn import get, gunicorn

REQUESTS = 60


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
    sent = 0
    with gunicorn(tmp_path, WEB_CONCURRENCY="2") as base:
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

    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    assert scrapes == [sent] * 8, stderr.read_text()
    logs = [json.loads(line) for line in stdout.read_text().splitlines()]
    readyz_pids = {log["pid"] for log in logs if '"GET /readyz' in log["message"]}
    assert len(readyz_pids) == 2, "both workers answered"
    assert {log["logger"] for log in logs} >= {"gunicorn.error", "gunicorn.access"}
