import pytest
from django.core.management import call_command

from calls.models import App, Call, CallLog
from calls.stats import COUNTERS, MAX_POINTS, parse_points

pytestmark = pytest.mark.django_db


def test_it_creates_realistic_demo_calls(capsys):
    call_command("seed_demo", calls=60, seed=3)
    assert "Created 60 demo calls" in capsys.readouterr().out

    assert set(App.objects.values_list("name", flat=True)) == {"shop", "media", "reports"}
    calls = list(Call.objects.all())
    assert len(calls) == 60
    assert CallLog.objects.count() == 60
    assert {call.status for call in calls} >= {"success", "error"}
    for call in calls:
        points = parse_points(call.stats)
        assert 1 <= len(points) <= MAX_POINTS
        assert call.started_at < call.completed_at
        assert (call.status == "error") == bool(call.error)
        assert call.peak_cpu_total == max(m["cpu_total"] for _, m in points)
        for key in COUNTERS:
            values = [m[key] for _, m in points]
            assert values == sorted(values), f"{key} of {call.id} must only grow"
        assert all(m["mem_usage"] <= m["mem_limit"] for _, m in points)


def test_it_reduces_long_calls_through_the_real_reduction():
    call_command("seed_demo", calls=200, seed=1)
    lengths = [len(stats) for stats in Call.objects.values_list("stats", flat=True)]
    assert max(lengths) == MAX_POINTS
    assert min(lengths) < 30


def test_it_does_nothing_the_second_time(capsys):
    call_command("seed_demo", calls=10)
    call_command("seed_demo", calls=10)
    assert "already present (10 calls)" in capsys.readouterr().out
    assert Call.objects.count() == 10


def test_it_repeats_the_same_calls_for_the_same_seed():
    call_command("seed_demo", calls=20, seed=5)
    first = sorted(Call.objects.values_list("path", "status", "error"))
    Call.objects.all().delete()
    call_command("seed_demo", calls=20, seed=5)
    assert sorted(Call.objects.values_list("path", "status", "error")) == first
