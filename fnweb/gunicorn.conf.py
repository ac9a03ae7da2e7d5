"""gunicorn's settings for production (`make serve`), read from the environment.

BIND (default 127.0.0.1:8080) and WEB_CONCURRENCY (workers, default 2 x CPUs + 1); any other
gunicorn option through GUNICORN_CMD_ARGS, e.g. GUNICORN_CMD_ARGS="--timeout 60".
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

from fnweb.jsonlog import logging_config

wsgi_app = "fnweb.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8080")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * os.cpu_count() + 1))
# gunicorn's control socket sits at one path per user, so two instances on a host would clash;
# fnweb needs none of its commands.
control_socket_disable = True

# Every worker keeps its Prometheus counts in files in this folder and /metrics adds them up
# (prometheus-client's multiprocess mode). Without one set, each run gets its own.
temporary_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # unset or empty
if temporary_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="fnweb-metrics-")
metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

# Access and error logs as JSON lines on stdout, like the application's own logs.
logconfig_dict = logging_config(loggers=("gunicorn.error", "gunicorn.access"))


# The names prometheus-client gives its files: counter_<pid>.db, gauge_<mode>_<pid>.db, ...
METRICS_FILE = re.compile(r"(counter|histogram|summary|gauge_[a-z]+)_\d+\.db")


def on_starting(server):
    # Counts left by an earlier run would be added to this run's. Only prometheus-client's own
    # files go: anything else in the folder (an SQLite database, say) is not ours to delete.
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.iterdir():
        if METRICS_FILE.fullmatch(stale.name):
            stale.unlink()


def child_exit(server, worker):
    # Imported here, not above: workers are forked from this process and inherit its modules,
    # and prometheus-client picks its multiprocess storage when first imported.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if temporary_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
