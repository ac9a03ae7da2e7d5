"""fnweb under a real gunicorn with the project's config, as `make serve` runs it, on a free
port and a fresh SQLite database, for the tests of what gunicorn itself does."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
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


@contextmanager
def gunicorn(folder: Path, **env: str) -> Iterator[str]:
    """Serve fnweb from `folder` (its database, metrics files, stdout and stderr) and yield
    its base URL; `env` adds to or overrides the environment."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "BIND": f"127.0.0.1:{port}",
        **env,
    }
    manage = [sys.executable, "manage.py", "migrate", "--noinput"]
    subprocess.run(manage, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    # Files, not pipes: a pipe nobody reads until the end would fill up and stall gunicorn.
    with (folder / "stdout").open("w") as out, (folder / "stderr").open("w") as err:
        server = subprocess.Popen(
            [Path(sys.executable).parent / "gunicorn", "--config", "fnweb/gunicorn.conf.py"],
            cwd=ROOT,
            # Only gunicorn's workers count in the metrics files, not the migration above.
            env={**env, "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")},
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
