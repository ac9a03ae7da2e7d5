"""Slow clients cannot starve the workers: under gunicorn with the project's config, while
connections trickle their headers a byte at a time, /healthz still answers within a second."""

import json
import socket
import threading
import time
from urllib.parse import urlsplit

from tests.ops.live_gunicorn import get, gunicorn

SLOW_CLIENTS = 6


def trickle(connections: list[socket.socket], stop: threading.Event) -> None:
    """A byte of headers to each connection every 0.2 s, never the blank line that ends them."""
    header = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    for byte in header:
        for connection in connections:
            connection.send(bytes([byte]))
        if stop.wait(0.2):
            return


def test_it_answers_healthz_while_slow_clients_trickle_their_headers(tmp_path):
    took = []
    # Two workers, as few as a small host has; threads as configured by default.
    with gunicorn(tmp_path, WEB_CONCURRENCY="2") as base:
        address = (urlsplit(base).hostname, urlsplit(base).port)
        slow = [socket.create_connection(address) for _ in range(SLOW_CLIENTS)]
        stop = threading.Event()
        trickling = threading.Thread(target=trickle, args=(slow, stop))
        trickling.start()
        try:
            time.sleep(1)  # every slow connection has been accepted and is sending
            for _ in range(10):
                start = time.monotonic()
                assert json.loads(get(base + "/healthz", timeout=5)) == {"status": "ok"}
                took.append(time.monotonic() - start)
        finally:
            stop.set()
            trickling.join()
            for connection in slow:
                connection.close()
    assert max(took) < 1, took
