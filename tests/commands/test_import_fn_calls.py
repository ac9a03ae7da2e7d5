"""`manage.py import_fn_calls`: from real databases laid out exactly like Fn's, at each release:
every schema, bad rows, log bytes, URLs. Always against SQLite files; against PostgreSQL or
MariaDB too when the suite runs on them (tests/commands/conftest.py builds Fn's tables)."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from calls import fndb
from calls.models import App, Call
from tests.commands.conftest import IDS, STATS, run, server_fn_tables, sqlite_fn_tables


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["c9198b8525", "0.3.205", "0.3.392", "0.3.563"])
def test_it_imports_calls_and_logs_from_every_fn_schema_with_calls(fn_tables, version):
    fn = fn_tables(version)
    fn.add_call(IDS[0], stats=json.dumps(STATS) + "\n", error="")
    fn.add_call(IDS[1], status="error", error="container exited")
    fn.add_call(IDS[2], app="other", path="/slow", status="timeout", stats=None)
    for call_id, app in ((IDS[0], "myapp"), (IDS[1], "myapp"), (IDS[2], "other")):
        fn.add_log(call_id, f"log of {call_id}", app=app)
    out, _ = run(fn)
    assert out.startswith("3 calls imported, 3 logs (0 with bytes replaced), 0 failed")
    first, second, third = (Call.objects.get(pk=call_id) for call_id in IDS[:3])
    # From 0.3.563 on, Fn keeps the function instead of the path: its name stands there.
    path = "hello" if version == "0.3.563" else "/hello"
    assert (first.app_id, first.path, first.status) == ("myapp", path, "success")
    assert first.created_at.isoformat() == "2017-11-27T14:52:53+00:00"
    assert first.duration.total_seconds() == 2.4
    assert first.stats == [
        {"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"cpu_total": 3, "mem_usage": 7}},
        {"timestamp": "2017-11-27T14:52:54.123Z", "metrics": {"cpu_total": 5, "mem_usage": 9}},
    ]
    assert first.log.text == f"log of {IDS[0]}"
    assert second.error == ("" if version == "c9198b8525" else "container exited")
    assert (third.app_id, third.status, third.stats) == ("other", "timeout", [])
    assert third.path == ("slow" if version == "0.3.563" else "/slow")


@pytest.mark.django_db
def test_it_says_when_fn_keeps_no_calls(fn_tables):
    fn = fn_tables("0.3.689")
    with pytest.raises(CommandError, match="no calls table: Fn 0.3.689 and later keep no calls"):
        run(fn)


@pytest.mark.django_db
def test_it_validates_app_names_reports_bad_rows_and_moves_on(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    fn.add_call(IDS[0], app="bad/app")
    fn.add_call(IDS[1])
    fn.add_call(IDS[2], stats="{not json")
    with pytest.raises(CommandError, match="2 call"):
        run(fn, "--batch-size", "2", state=state)
    assert list(Call.objects.values_list("pk", flat=True)) == [IDS[1]]
    assert not App.objects.filter(name="bad/app").exists()
    assert state.read_text() == IDS[2] + "\n"


@pytest.mark.django_db
def test_it_reports_rows_it_cannot_import_and_imports_the_rest(fn_tables, capsys):
    fn = fn_tables()
    fn.add_call(IDS[0])
    fn.add_call(IDS[1])
    fn.execute("UPDATE calls SET created_at = 'yesterday' WHERE id = ?", [IDS[1]])
    with pytest.raises(CommandError, match="1 call"):
        call_command("import_fn_calls", "--from", fn.url)
    assert f"call {IDS[1]}: call.created_at: 'yesterday'" in capsys.readouterr().err
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_it_imports_the_rest_when_a_call_id_is_stored_in_another_app(fn_tables, tmp_path):
    fn = fn_tables()
    for call_id in IDS[:3]:
        fn.add_call(call_id)
        fn.add_log(call_id, "a log")
    App.objects.create(name="elsewhere")
    Call.objects.create(id=IDS[0], app_id="elsewhere", path="/", status="success",
                        created_at=timezone.now())  # fmt: skip
    state = tmp_path / "newest-id"
    with pytest.raises(CommandError, match="1 call"):
        run(fn, state=state)
    assert not hasattr(Call.objects.get(pk=IDS[0]), "log")  # not the log of Fn's call
    assert Call.objects.filter(app_id="myapp").count() == 2
    assert state.read_text() == IDS[2] + "\n"


@pytest.mark.django_db
def test_it_replaces_log_bytes_that_are_not_utf8_and_nuls(tmp_path):
    fn = sqlite_fn_tables(tmp_path / "fn.db", "0.3.205")
    fn.add_call(IDS[0])
    fn.add_call(IDS[1])
    fn.add_call(IDS[2])
    # Fn's SQLite driver stores stderr's bytes as they came, valid UTF-8 or not.
    fn.add_log(IDS[0], b"caf\xe9 \xff\n")
    fn.add_log(IDS[1], "nul\x00byte\n")
    fn.add_log(IDS[2], "fine \ufffd\n")
    out, _ = run(fn)
    assert out.startswith("3 calls imported, 3 logs (2 with bytes replaced), 0 failed")
    assert Call.objects.get(pk=IDS[0]).log.text == "caf\ufffd \ufffd\n"
    assert Call.objects.get(pk=IDS[1]).log.text == "nul\ufffdbyte\n"
    assert Call.objects.get(pk=IDS[2]).log.text == "fine \ufffd\n"


@pytest.mark.django_db
def test_it_reads_a_sqlite_file_whose_path_holds_hash_and_question_mark(tmp_path):
    folder = tmp_path / "fn #1?x=y"
    folder.mkdir()
    fn = sqlite_fn_tables(folder / "fn%20.db", "0.3.205")
    fn.add_call(IDS[0])
    out, _ = run(fn)
    assert out.startswith("1 calls imported")


def test_it_fetches_logs_in_chunks_of_bounded_size(tmp_path):
    fn = sqlite_fn_tables(tmp_path / "fn.db", "0.3.205")
    for call_id in IDS[:5]:
        fn.add_call(call_id)
        fn.add_log(call_id, "x" * 1000)
    db = fndb.connect(fn.url)
    chunks = list(db.logs(IDS[:5], max_bytes=2500))
    db.close()
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    assert sorted(call_id for chunk in chunks for call_id, _, _ in chunk) == IDS[:5]


def test_it_reads_new_ids_as_a_range_on_fns_primary_key(tmp_path):
    fn = sqlite_fn_tables(tmp_path / "fn.db", "0.3.205")
    plan = fn.db.execute("EXPLAIN QUERY PLAN SELECT id FROM calls WHERE id > ? ORDER BY id LIMIT ?",
                         ["", 500]).fetchall()  # fmt: skip
    assert "USING COVERING INDEX sqlite_autoindex_calls_1 (id>?)" in plan[0][-1]


def test_it_reads_fns_own_mysql_url_and_keeps_its_options():
    assert fndb.mysql_options("fn:p%40ss@tcp(db.example:3307)/funcs?charset=utf8mb4") == {
        "host": "db.example", "port": 3307, "user": "fn", "password": "p@ss",
        "database": "funcs", "charset": "utf8mb4",
    }  # fmt: skip
    assert fndb.mysql_options("root@tcp(db)/funcs?tls=skip-verify")["ssl"] == {"verify_mode": False}
    with pytest.raises(fndb.FnDatabaseError, match="option parseTime is not supported"):
        fndb.mysql_options("root@tcp(db:3306)/funcs?parseTime=true")


@pytest.mark.django_db
def test_it_imports_from_fns_mysql_url_form():
    if connection.vendor != "mysql":
        pytest.skip("needs the suite on MariaDB/MySQL")
    fn = server_fn_tables("0.3.205")
    try:
        fn.add_call(IDS[0])
        settings = connection.settings_dict
        fn.url = (
            f"mysql://{settings['USER']}@tcp({settings['HOST']}:{settings['PORT']})/"
            f"{settings['NAME']}?charset=utf8mb4"
        )
        out, _ = run(fn)
    finally:
        fn.drop()
    assert out.startswith("1 calls imported")


def test_it_passes_postgres_url_options_to_libpq():
    with pytest.raises(CommandError, match="sslmode"):
        call_command("import_fn_calls", "--from", "postgres://fn@127.0.0.1:1/fn?sslmode=bogus")


def test_it_says_what_is_wrong_with_the_source():
    with pytest.raises(CommandError, match="No SQLite database at /nonexistent/fn.db"):
        call_command("import_fn_calls", "--from", "sqlite3:///nonexistent/fn.db")
    with pytest.raises(CommandError, match="Cannot connect to Fn's database"):
        call_command("import_fn_calls", "--from", "postgres://nobody@127.0.0.1:1/fn")
