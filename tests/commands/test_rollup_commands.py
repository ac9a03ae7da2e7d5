"""rebuild_rollups and purge_rollups."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from calls.models import Call
from calls.rollups import ALL_PATHS, MINUTE, WEEK, Rollup, bucket_start

pytestmark = pytest.mark.django_db

COLUMNS = [field.attname for field in Rollup._meta.concrete_fields if not field.primary_key]


def stored() -> list[tuple]:
    return sorted(Rollup.objects.values_list(*COLUMNS))


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_rebuilds_what_ingest_kept(make_call):
    now = timezone.now()
    # Minutes after midnight, so the calls span three days at whatever time the test runs.
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(6):
        make_call(
            path=f"/p{i % 2}",
            created=midnight - timedelta(days=i % 3) + timedelta(minutes=i),
            status="error" if i == 3 else "success",
            metrics={"mem_usage": 2**20 * (i + 1), "mem_limit": 2**27, "cpu_total": i},
        )
    make_call(status="running", created=now, completed_at=None)  # read, not counted
    kept = stored()
    Rollup.objects.all().delete()

    output = run("rebuild_rollups")

    assert stored() == kept
    assert "Rebuilt the rollups from 7 calls since" in output
    assert "(3/3 days)" in output


def test_it_leaves_days_before_since_alone(make_call):
    old = make_call(created=timezone.now() - timedelta(days=5))
    Rollup.objects.filter(step=60).delete()  # as if the day had been purged of its calls
    old.delete()
    run("rebuild_rollups", "--since", f"{timezone.now() - timedelta(days=1):%Y-%m-%d}")
    assert Rollup.objects.count() == 6  # hour, day and week, of the path and of all paths


def test_a_week_begun_before_since_holds_its_days_once(make_call):
    week = bucket_start(timezone.now() - timedelta(days=14), WEEK)
    make_call(created=week + timedelta(days=1, hours=1))  # before --since: its calls purged
    Rollup.objects.filter(step=MINUTE).delete()
    Call.objects.all().delete()
    make_call(created=week + timedelta(days=4, hours=1), status="error")  # rebuilt

    output = run("rebuild_rollups", "--since", f"{week + timedelta(days=3):%Y-%m-%d}")

    row = Rollup.objects.get(step=WEEK, path=ALL_PATHS)
    assert (row.start, row.success, row.error) == (week, 1, 1)
    assert sum(row.duration.values()) == 2
    assert "Merged 2 week rollups from their days" in output  # the path's and all paths'


def test_it_refuses_a_since_that_is_no_date():
    with pytest.raises(CommandError, match="is not a date"):
        run("rebuild_rollups", "--since", "yesterday")


def test_it_purges_rollups_older_than_their_retention(make_call, settings):
    settings.ROLLUPS_RETENTION_DAYS = 30
    make_call(created=timezone.now() - timedelta(days=45))
    make_call(created=timezone.now() - timedelta(days=10))
    assert "Deleted 8 rollups" in run("purge_rollups")  # 4 steps, of the path and all paths
    assert Rollup.objects.count() == 8
    assert "Deleted 8 rollups" in run("purge_rollups", "--older-than", "1d")


def test_a_week_is_kept_while_any_of_its_days_is(make_call):
    week = bucket_start(timezone.now() - timedelta(days=20), WEEK)
    make_call(created=week + timedelta(hours=1))
    days = (timezone.now() - week).days - 2  # a cutoff 2 to 3 days into the week
    assert "Deleted 6 rollups" in run("purge_rollups", "--older-than", f"{days}d")
    assert list(Rollup.objects.values_list("step", flat=True)) == [WEEK, WEEK]


def test_rollups_survive_dumpdata_and_loaddata(make_call, tmp_path):
    make_call(status="error", metrics={"mem_usage": 2**20, "mem_limit": 2**27, "cpu_total": 0})
    kept = stored()
    dump = tmp_path / "rollups.json"
    call_command("dumpdata", "calls.rollup", output=str(dump))
    Rollup.objects.all().delete()
    call_command("loaddata", str(dump), stdout=StringIO())
    assert stored() == kept
