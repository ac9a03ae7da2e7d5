"""Reliability: gunicorn on a PostgreSQL of its own, under what production throws at it.

    make bench-reliability         # or: .venv/bin/python bench/bench_reliability.py

Starts a throwaway PostgreSQL cluster (initdb in a temporary folder, on a free port, as the
postgres user) so that it can stop and start it, then gunicorn with production settings on it,
and runs four phases:
1. eight senders resending overlapping batches of the same calls into one app;
2. running and finished reports of the same calls racing each other;
3. a purge of old running calls while their finished reports arrive;
4. the database stopped for a few seconds and started again, while a sender and a reader go on.
It prints calls lost (acknowledged with 201 but not stored, or not finished when their final
report was acknowledged), duplicates (an id reported created more than once), regressions
(a call not in the state of its most advanced acknowledged report), 5xx outside the outage,
and the slowest answer during the outage. The goal is 0, 0, 0, 0 and under 1 s.
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
SENDERS = 8
# Recent calls, which the purge of calls older than 30 days leaves alone.
CREATED = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)


class Server:
    """A PostgreSQL cluster and a gunicorn serving fnweb on it."""

    def __init__(self, folder: Path):
        self.data, self.pg_port, self.port = folder / "pg", free_port(), free_port()
        folder.chmod(0o777)
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start_database()
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/postgres",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
        }
        self.manage("migrate", "--noinput")
        self.token = self.manage("create_api_token", "bench").strip()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.log = (folder / "gunicorn.log").open("w")
        self.gunicorn = subprocess.Popen(
            [gunicorn, "--config", "fnweb/gunicorn.conf.py"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while self.request("GET", "/healthz")[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)

    def start_database(self) -> None:
        options = f"-p {self.pg_port} -k {self.data} -c listen_addresses=127.0.0.1"
        # -l: the server writes to a file, not to the pipes run() reads until they close.
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log")]
        as_postgres(*pg_ctl, "-o", options, "-w", "start")

    def stop_database(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def manage(self, *args: str) -> str:
        command = [sys.executable, "manage.py", *args]
        done = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stderr)
        return done.stdout

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
            connection.request(method, path, json.dumps(body) if body else None, headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data.startswith(b"{") else {}
        except OSError:
            return 0, {}
        finally:
            connection.close()

    def close(self) -> None:
        self.gunicorn.terminate()
        self.gunicorn.wait(timeout=30)
        self.stop_database()


class Tally:
    """What the senders saw, across threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created: dict[str, int] = {}
        self.acknowledged: dict[str, str] = {}  # id -> most advanced status answered 201
        self.server_errors = 0

    def post(self, server: Server, calls: list[dict]) -> int:
        status, body = server.request("POST", "/v1/apps/bench/calls", {"calls": calls})
        with self.lock:
            self.server_errors += status >= 500 or status == 0
            if status == 201:
                for result in body["calls"]:
                    so_far = self.created.get(result["id"], 0)
                    self.created[result["id"]] = so_far + result["created"]
                for call in calls:
                    known = self.acknowledged.get(call["id"], "queued")
                    if STEP[call["status"]] >= STEP[known]:
                        self.acknowledged[call["id"]] = call["status"]
        return status


STEP = {"queued": 0, "running": 1, "success": 2}


def call(call_id: str, status: str, created: str = CREATED) -> dict:
    finished = status == "success"
    return {
        "id": call_id, "status": status, "path": "/bench", "created_at": created,
        "started_at": created, **({"completed_at": created} if finished else {}),
        "log": f"{status}\n",
    }  # fmt: skip


def resends(server: Server, tally: Tally) -> None:
    ids = [f"resend-{i:04d}" for i in range(400)]

    def sender(s: int) -> None:
        for start in range(s * 10, len(ids), 40):
            tally.post(server, [call(i, "success") for i in ids[start : start + 40]])

    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(sender, range(SENDERS)))


def races(server: Server, tally: Tally) -> None:
    def race(n: int) -> None:
        ids = [f"race-{n:03d}-{i}" for i in range(10)]
        tally.post(server, [call(i, "queued") for i in ids])
        with ThreadPoolExecutor(2) as pool:
            for status in ("running", "success"):
                pool.submit(tally.post, server, [call(i, status) for i in ids])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(race, range(40)))


def purge_during_ingest(server: Server, tally: Tally) -> set[str]:
    old = "2020-01-01T00:00:00.000Z"
    ids = [f"old-{i:04d}" for i in range(400)]
    for start in range(0, len(ids), 100):
        tally.post(server, [call(i, "running", old) for i in ids[start : start + 100]])
    purge = subprocess.Popen(
        [sys.executable, "manage.py", "purge_calls", "--older-than", "30d", "--batch-size", "20"],
        cwd=ROOT, env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: tally.post(server, [call(i, "success", old) for i in ids[s::4]]),
                      range(4)))  # fmt: skip
    if purge.wait(timeout=300):
        raise SystemExit("purge_calls failed: " + purge.stderr.read())
    return set(ids)  # legitimately deleted by retention, whichever came first


def outage(server: Server, tally: Tally) -> tuple[float, int]:
    """Slowest answer and answers given while the database is down for three seconds."""
    down = threading.Event()
    done = threading.Event()
    slowest, answers = [0.0], [0]

    def keep_asking(n: int) -> None:
        i = 0
        while not done.is_set():
            start = time.monotonic()
            if n % 2:
                status = server.request("GET", "/v1/apps/bench/calls?per_page=5")[0]
            else:
                status = tally.post(server, [call(f"outage-{n}-{i}", "success")])
                i += 1
            if down.is_set():
                slowest[0] = max(slowest[0], time.monotonic() - start)
                answers[0] += 1
            elif status >= 500 and n % 2:
                tally.server_errors += 1
            time.sleep(0.05)

    with ThreadPoolExecutor(4) as pool:
        for n in range(4):
            pool.submit(keep_asking, n)
        time.sleep(1)
        errors_before = tally.server_errors
        server.stop_database()
        down.set()
        time.sleep(3)
        server.start_database()
        down.clear()
        tally.server_errors = errors_before  # a 503 while the database is down is the answer
        time.sleep(3)
        done.set()
    return slowest[0], answers[0]


def check(server: Server, tally: Tally, purged: set[str]) -> tuple[int, int, int]:
    stored = {}
    for call_id in tally.acknowledged:
        status, body = server.request("GET", f"/v1/apps/bench/calls/{call_id}")
        stored[call_id] = body["call"]["status"] if status == 200 else None
    lost = sum(1 for i, s in stored.items() if s is None and i not in purged)
    duplicates = sum(1 for count in tally.created.values() if count > 1)
    regressions = sum(
        1 for i, s in stored.items() if s is not None and STEP[s] < STEP[tally.acknowledged[i]]
    )
    return lost, duplicates, regressions


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fnweb-reliability-") as folder:
        server = Server(Path(folder))
        try:
            tally = Tally()
            resends(server, tally)
            races(server, tally)
            purged = purge_during_ingest(server, tally)
            slowest, answers = outage(server, tally)
            lost, duplicates, regressions = check(server, tally, purged)
        finally:
            server.close()
    print(f"calls acknowledged: {len(tally.acknowledged)}")
    print(f"calls lost: {lost}")
    print(f"duplicates: {duplicates}")
    print(f"regressions: {regressions}")
    print(f"5xx outside the outage: {tally.server_errors}")
    print(f"slowest answer during the outage: {slowest:.2f} s ({answers} answers while down)")


if __name__ == "__main__":
    main()
