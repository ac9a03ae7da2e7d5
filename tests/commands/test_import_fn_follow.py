"""`manage.py import_fn_calls` on a live Fn: calls and logs Fn writes after newer ones were
imported, the re-read window, and --follow until SIGTERM."""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.ids import new_id
from calls.models import Call
from tests.commands.conftest import IDS, run


@pytest.mark.django_db
def test_it_imports_a_call_written_after_newer_ones_were_imported(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    fn.add_call(IDS[0])
    fn.add_call(IDS[2])
    run(fn, state=state)
    assert state.read_text() == IDS[2] + "\n"
    fn.add_call(IDS[1])  # a longer call that arrived before IDS[2] and finished after it
    out, _ = run(fn, state=state)
    assert out.startswith("1 calls imported")
    assert Call.objects.filter(pk=IDS[1]).exists()
    assert state.read_text() == IDS[2] + "\n"
    out, _ = run(fn, state=state)
    assert out.startswith("0 calls imported, 0 logs (0 with bytes replaced), 0 failed")
    assert Call.objects.count() == 3


@pytest.mark.django_db
def test_it_reads_back_only_as_far_as_the_window(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    now = timezone.now()
    newest, late = new_id(at=now), new_id(at=now - timedelta(minutes=2))
    fn.add_call(newest)
    run(fn, state=state)
    fn.add_call(late)
    out, _ = run(fn, "--window", "1m", state=state)
    assert out.startswith("0 calls imported")
    out, _ = run(fn, "--window", "5m", state=state)
    assert out.startswith("1 calls imported")


@pytest.mark.django_db
def test_it_imports_a_log_written_after_its_call_was_imported(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    fn.add_call(IDS[0])
    run(fn, state=state)
    assert not hasattr(Call.objects.get(pk=IDS[0]), "log")
    fn.add_log(IDS[0], "written after the call\n")
    out, _ = run(fn, state=state)
    assert out.startswith("0 calls imported, 1 logs")
    assert Call.objects.get(pk=IDS[0]).log.text == "written after the call\n"
    out, _ = run(fn, state=state)
    assert out.startswith("0 calls imported, 0 logs")


@pytest.mark.django_db(transaction=True)
def test_it_follows_calls_written_while_it_runs_until_sigterm(fn_tables, tmp_path):
    fn = fn_tables()
    fn.add_call(IDS[0])
    state = tmp_path / "newest-id"

    def fn_server():
        """Writes calls as the follower goes on, one older than a call it already has, then
        stops it as systemd would."""
        wait_for(lambda: state.exists())
        fn.add_call(IDS[2])
        wait_for(lambda: state.read_text() == IDS[2] + "\n")
        fn.add_call(IDS[1])
        fn.add_log(IDS[1], "written while following\n")
        fn.add_call(IDS[3])
        wait_for(lambda: state.read_text() == IDS[3] + "\n")
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=fn_server)
    thread.start()
    try:
        out, _ = run(fn, "--follow", "--interval", "50ms", state=state)
    finally:
        thread.join()
    assert sorted(Call.objects.values_list("pk", flat=True)) == IDS[:4]
    assert Call.objects.get(pk=IDS[1]).log.text == "written while following\n"
    lines = out.splitlines()
    assert len(lines) >= 3
    assert lines[0].startswith("1 calls imported")
    assert sum(int(line.split()[0]) for line in lines) == 4


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
