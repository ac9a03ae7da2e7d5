"""What fnweb/gunicorn.conf.py does on its own, read as gunicorn reads it."""

import runpy

from tests.conftest import ROOT


def gunicorn_config(monkeypatch, metrics_dir) -> dict:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    return runpy.run_path(str(ROOT / "fnweb" / "gunicorn.conf.py"))


def test_it_deletes_only_the_metrics_files_of_an_earlier_run(monkeypatch, tmp_path):
    left_over = ["counter_12.db", "gauge_livesum_12.db", "histogram_7.db", "summary_7.db"]
    others = ["db.sqlite3", "fnweb.db", "counter.db", "notes.txt"]
    for name in left_over + others:
        (tmp_path / name).write_bytes(b"x")
    gunicorn_config(monkeypatch, tmp_path)["on_starting"](None)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(others)
