"""gunicorn's settings for production (`make serve`), read from the environment.

BIND (default 127.0.0.1:8080), WEB_CONCURRENCY (workers, default 2 x CPUs + 1) and
GUNICORN_THREADS (threads per worker, default 8); any other gunicorn option through
GUNICORN_CMD_ARGS, e.g. GUNICORN_CMD_ARGS="--timeout 60".
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
# Threads, so that a slow client holds one thread and not a whole worker: each worker's main
# thread keeps accepting and hands requests to its pool, and a connection that has sent
# nothing waits without a thread. Each thread may hold a database connection while it
# answers, so workers x threads must stay below the database's connection limit.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A worker whose main loop stops for this long is restarted (a request's own wait on the
# database is bounded by DATABASE_STATEMENT_TIMEOUT, well below it); a stopping one gets as
# long to finish what it has; idle keep-alive connections are closed after a few seconds.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about a thousand requests, so memory a big answer took returns;
# the jitter keeps the workers from restarting all at once.
max_requests = 1000
max_requests_jitter = 200
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
