"""The two hottest paths against what the database itself can do, measured in one run:

    make bench-hotpaths                                    # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench-hotpaths

1. Ingest: two senders posting 50-call batches of calls with 600 raw points each (and again
   with 10 points) to gunicorn with production settings, against the floor: the same final
   rows (calls with reduced stats and peaks, logs, rollups) written by the database client's
   executemany.
2. Read one call with 240 points (GET /v1/apps/{app}/calls/{id}) with 8 keep-alive clients,
   against a bare WSGI app (bench/bare_wsgi.py) under the same gunicorn returning the row's
   stored stats text with one query; and a list page of 100 calls with stats the same way.
3. The call page (HTML and chart data) against the API read of the same call, one client.

Each line gives the rates and their ratio, then CPU time per call or request and the floor's
over ours: on a machine shared with other work the rates wander with its load, the CPU time
much less. The server's CPU is its gunicorn workers' (the bare app's under the same config).

On PostgreSQL it works in a database of its own (fnweb_hotpaths) on the server DATABASE_URL
names, dropped at the end.
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

from ingest_floor import floor_rate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fnweb.settings")
os.environ.setdefault("DEBUG", "true")
SECONDS = float(os.environ.get("HOTPATHS_SECONDS", "8"))
T0 = 1_767_225_600 * 10**9  # 2026-01-01


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(folder: Path) -> str:
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgres"):
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(given, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS fnweb_hotpaths")
        admin.execute("CREATE DATABASE fnweb_hotpaths")
    return given.rsplit("/", 1)[0] + "/fnweb_hotpaths"


def drop(url: str, server: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS fnweb_hotpaths WITH (FORCE)")


def point(second: int) -> dict:
    from calls.fntime import format_timestamp

    return {
        "timestamp": format_timestamp(T0 + second * 10**9),
        "metrics": {
            "cpu_user": second % 50, "cpu_kernel": 3, "cpu_total": second % 53 + 3,
            "mem_usage": 90_000_000 + second, "mem_limit": 268_435_456, "net_rx": second * 900,
            "net_tx": second * 300, "disk_read": second * 40, "disk_write": second * 70,
        },
    }  # fmt: skip


def batches(prefix: str, count: int, points: int) -> list[bytes]:
    from calls.fntime import format_timestamp

    stats = [point(s) for s in range(points)]
    times = {
        "created_at": format_timestamp(T0),
        "started_at": format_timestamp(T0 + 10**6),
        "completed_at": format_timestamp(T0 + points * 10**9),
    }
    return [
        json.dumps({"calls": [
            {"id": f"{prefix}-{b}-{i}", "status": "success", "path": "/p", "log": "done\n",
             "stats": stats, **times}
            for i in range(50)
        ]}).encode()
        for b in range(count)
    ]  # fmt: skip


class Served:
    """gunicorn with fnweb's config on `url`, serving `app` (fnweb unless told)."""

    def __init__(self, url: str, folder: Path, app: str | None = None):
        self.port = free_port()
        self.env = {
            **os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false", "DATABASE_URL": url,
            "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / f"metrics-{self.port}"),
        }  # fmt: skip
        command = [Path(sys.executable).parent / "gunicorn", "--config", "fnweb/gunicorn.conf.py"]
        if app:
            command += ["--pythonpath", "bench", app]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("gunicorn did not start")

    def cpu(self) -> float:
        """CPU seconds gunicorn's workers have used so far: the live ones', and through the
        master's count for children it reaped, those recycled (max_requests). Unlike rates,
        it hardly moves when other work shares the machine."""
        total = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            if pid == str(self.process.pid):
                total += int(fields[13]) + int(fields[14])  # cutime, cstime
            elif fields[1] == str(self.process.pid):
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def rate(served: "Served", paths: list[str], clients: int) -> tuple[float, float]:
    """Requests a second that `clients` keep-alive connections get through for SECONDS, and
    the server's CPU milliseconds per request."""
    port, cpu = served.port, served.cpu()
    stop = time.monotonic() + SECONDS
    done = []

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        count = 0
        while time.monotonic() < stop:
            connection.request("GET", paths[(n + count) % len(paths)])
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            count += 1
        done.append(count)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(done) / SECONDS, (served.cpu() - cpu) * 1000 / sum(done)


def post_all(served: "Served", token: str, bodies: list[bytes], senders: int = 2):
    """Calls a second stored by `senders` connections posting `bodies`, and the server's CPU
    milliseconds per call."""
    port, start, cpu = served.port, time.monotonic(), served.cpu()

    def sender(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for body in bodies[n::senders]:
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
            connection.request("POST", "/v1/apps/bench/calls", body, headers)
            response = connection.getresponse()
            assert response.status == 201, response.read()[:300]
            response.read()

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(sender, range(senders)))
    calls = len(bodies) * 50
    return calls / (time.monotonic() - start), (served.cpu() - cpu) * 1000 / calls


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fnweb-hotpaths-") as name:
        folder = Path(name)
        server = os.environ.get("DATABASE_URL", "")
        url = database_url(folder)
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command

        from calls.models import ApiToken

        call_command("migrate", verbosity=0)
        token = ApiToken.issue("bench")
        fnweb = Served(url, folder)
        try:
            report(fnweb, token, folder, url)
        finally:
            fnweb.close()
            from django.db import connection

            connection.close()
            drop(url, server)


def compare(what: str, ours: tuple, floor: tuple, unit: str, goal: str) -> None:
    """One line: rates and their ratio, then CPU per item and the floor's share of ours."""
    (rate, cpu), (floor_rate, floor_cpu) = ours, floor
    print(f"{what}: {rate:,.1f} {unit}, floor {floor_rate:,.1f}, ratio {rate / floor_rate:.3f};"
          f" CPU {cpu:.2f} ms, floor {floor_cpu:.2f} ms,"
          f" ratio {floor_cpu / cpu:.3f} ({goal})")  # fmt: skip


def report(fnweb: Served, token: str, folder: Path, url: str) -> None:
    print(f"database: {url.split(':')[0]}; CPU is the server's per item (the floor's own process"
          " for ingest; on PostgreSQL neither counts the database server's)")  # fmt: skip
    for points in (600, 10):
        bodies = batches(f"p{points}", 8, points)
        ours = post_all(fnweb, token, bodies)
        floor = floor_rate(bodies, "floor")
        compare(f"ingest, {points}-point calls", ours, floor, "calls/s", "goal >= 0.5 at 600")
    ids = [f"p600-0-{i}" for i in range(50)]
    bare = Served(url, folder, "bare_wsgi:application")
    try:
        floor = rate(bare, [f"/{i}" for i in ids], 8)
        floor_list = rate(bare, ["/?list"], 8)
    finally:
        bare.close()
    one = rate(fnweb, [f"/v1/apps/bench/calls/{i}" for i in ids], 8)
    compare("read one call", one, floor, "req/s", "goal >= 0.8")
    listed = rate(fnweb, ["/v1/apps/bench/calls?per_page=100"], 8)
    compare("list of 100 calls with stats", listed, floor_list, "req/s", "goal >= 0.5")
    page = rate(fnweb, [f"/apps/bench/calls/{i}/" for i in ids], 1)
    api = rate(fnweb, [f"/v1/apps/bench/calls/{i}" for i in ids], 1)
    print(f"call page / API read: time {api[0] / page[0]:.2f}, CPU {page[1] / api[1]:.2f}"
          " (goal <= 2)")  # fmt: skip


if __name__ == "__main__":
    threading.excepthook = lambda args: os._exit(f"a client failed: {args.exc_value!r}")
    main()
