"""`manage.py ingest_calls FILE.jsonl`: good lines stored, bad lines named, exit status."""

import json

import pytest
from django.core.management import CommandError, call_command

from calls.models import Call, CallLog

pytestmark = pytest.mark.django_db


def line(**fields):
    call = {"status": "success", "path": "/hello", "created_at": "2017-11-27T14:52:53.123Z"}
    call.update(fields)
    return json.dumps(call)


def ingest(tmp_path, lines, *args):
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n")
    call_command("ingest_calls", str(path), *args)


def test_it_stores_every_good_line_in_batches(tmp_path, capsys):
    stats = [
        {"timestamp": f"2017-11-27T14:{m:02d}:{s:02d}Z", "metrics": {"cpu_total": s}}
        for m in range(10)
        for s in range(60)
    ]
    lines = [line(id=f"c{i}", app_name="myapp", log=f"log {i}") for i in range(7)]
    lines.append(line(id="long", app_name="other", stats=stats))
    ingest(tmp_path, lines, "--batch-size", "3")
    out = capsys.readouterr().out
    assert "8 calls stored, 0 already present, 0 lines failed" in out.splitlines()[-1]
    assert Call.objects.filter(app_id="myapp").count() == 7
    assert CallLog.objects.get(call_id="c3").text == "log 3"
    assert len(Call.objects.get(pk="long").stats) == 240


def test_it_reports_bad_lines_by_number_and_fails(tmp_path, capsys):
    lines = [
        line(id="ok1"),
        "{not json",
        line(id="bad", status="exploded"),
        "",
        line(id="ok2", stats=[{"timestamp": "2017-11-27T14:52:53Z", "metrics": {"x": -1}}]),
        line(id="ok3"),
    ]
    with pytest.raises(CommandError, match="3 line\\(s\\) failed"):
        ingest(tmp_path, lines, "--app", "myapp")
    err = capsys.readouterr().err
    assert "line 2: unexpected character" in err
    assert "line 3: call.status must be one of" in err
    assert "line 5: call.stats[0].metrics.x must be an integer" in err
    assert sorted(Call.objects.values_list("id", flat=True)) == ["ok1", "ok3"]


def test_it_reports_lines_no_json_reader_should_take_and_stores_the_rest(tmp_path, capsys):
    path = tmp_path / "calls.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                line(id="ok1").encode(),
                b"[" * 5000 + b"]" * 5000,  # nested past any sane depth
                line(id="bad", path="/\ud800").encode(),  # json.dumps writes \ud800
                line(id="latin", path="/cafe").replace("/cafe", "/caf\xe9").encode("latin-1"),
                line(id="ok2").encode(),
            ]
        )
    )
    with pytest.raises(CommandError, match="3 line\\(s\\) failed"):
        call_command("ingest_calls", str(path), "--app", "myapp")
    err = capsys.readouterr().err
    assert "line 2: depth limit exceeded" in err
    assert "line 3: no low surrogate" in err
    assert "line 4: str is not valid UTF-8" in err
    assert sorted(Call.objects.values_list("id", flat=True)) == ["ok1", "ok2"]


def test_it_needs_an_app_for_every_line(tmp_path, capsys):
    with pytest.raises(CommandError):
        ingest(tmp_path, [line(id="c1")])
    assert "line 1: app_name is missing (or pass --app)" in capsys.readouterr().err


def test_it_names_the_line_whose_call_the_database_refuses(tmp_path, capsys):
    ingest(tmp_path, [line(id="taken")], "--app", "other")
    with pytest.raises(CommandError, match="1 line"):
        ingest(tmp_path, [line(id="c1"), line(id="taken"), line(id="c2")], "--app", "myapp")
    assert "line 2: Call taken is stored in another app" in capsys.readouterr().err
    assert Call.objects.filter(app_id="myapp").count() == 2


def test_it_is_idempotent_and_lets_a_later_line_finish_a_running_call(tmp_path, capsys):
    lines = [line(id="c1", status="running"), line(id="c1", status="success")]
    ingest(tmp_path, lines, "--app", "myapp")
    ingest(tmp_path, lines, "--app", "myapp")
    assert Call.objects.get(pk="c1").status == "success"
    assert "0 calls stored, 2 already present" in capsys.readouterr().out.splitlines()[-1]


def test_it_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*: No such file or directory"):
        call_command("ingest_calls", str(tmp_path / "missing.jsonl"))
