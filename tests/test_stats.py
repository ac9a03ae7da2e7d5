"""calls/stats.py on its own: validation, Fn's reduction and its figures, summaries."""

import itertools
import random

import pytest

from calls.fntime import NS_PER_SECOND, format_timestamp, parse_timestamp
from calls.stats import (
    MAX_METRIC,
    StatsError,
    average,
    counter_rates,
    counter_total,
    describe,
    dump_points,
    load_points,
    parse_points,
    peak_memory_share,
    percentile,
    reduce_points,
    summarize,
)

START = parse_timestamp("2016-08-11T00:00:00Z")


def one_second_points(count, start=START, gap_at=None, gap_seconds=0):
    """Fn's TestDecimate input: points one second apart, optionally with a jump."""
    points = []
    for i in range(count):
        ns = start + i * NS_PER_SECOND
        if gap_at is not None and i >= gap_at:
            ns += gap_seconds * NS_PER_SECOND
        points.append((ns, {"x": i}))
    return points


def raw_point(timestamp="2017-11-27T14:52:53.123Z", **metrics):
    return {"timestamp": timestamp, "metrics": metrics}


# Fn's own figures (TestAverage, TestDecimate).


def test_it_averages_like_fn():
    points = [(START + i * 60 * NS_PER_SECOND, {"x": i}) for i in range(10)]
    ns, metrics = average(points)
    assert metrics == {"x": 4}
    assert ns == 1470873870 * NS_PER_SECOND


@pytest.mark.parametrize("count", [480, 700, 300])
def test_it_reduces_to_240_points_like_fn(count):
    assert len(reduce_points(one_second_points(count))) == 240


def test_it_drops_empty_windows_like_fn():
    points = one_second_points(300, gap_at=150, gap_seconds=20 * 60)
    assert len(reduce_points(points)) == 49


def test_it_keeps_short_histograms_unchanged():
    points = one_second_points(240)
    assert reduce_points(points) == points


def test_it_never_returns_more_than_240_points_for_any_length():
    rng = random.Random(7)
    for count in itertools.chain(range(0, 600), [1000, 3600, 10_000]):
        points = sorted(
            (START + rng.randrange(0, 4000) * NS_PER_SECOND, {"x": 1}) for _ in range(count)
        )
        reduced = reduce_points(points)
        assert len(reduced) <= 240
        if count <= 240:
            assert reduced == points
        times = [ns for ns, _ in reduced]
        assert times == sorted(times)


def test_it_ends_when_all_points_share_a_nanosecond_window():
    # Fn's loop never finished here: 300 points within 100 ns make a zero-length window.
    points = [(START + i // 3, {"x": i}) for i in range(300)]
    reduced = reduce_points(points)
    # 1 ns windows: the first takes the points at +0 and +1 ns, each later one three points.
    assert len(reduced) == 99
    assert reduced[0] == (START, {"x": 2})
    assert reduced[-1] == (START + 99, {"x": 298})


def test_it_averages_a_metric_over_the_points_that_carry_it():
    ns, metrics = average([(0, {"a": 10, "b": 4}), (2, {"a": 20})])
    assert metrics == {"a": 15, "b": 4}
    assert ns == 1


def test_it_averages_the_largest_values_without_overflow():
    ns, metrics = average([(0, {"a": MAX_METRIC}), (10, {"a": MAX_METRIC})])
    assert metrics == {"a": MAX_METRIC}


# Validation.


def test_it_sorts_unsorted_points_instead_of_rejecting_them():
    stats = [
        raw_point("2017-11-27T14:52:55Z", x=3),
        raw_point("2017-11-27T14:52:53Z", x=1),
        raw_point("2017-11-27T16:52:54+02:00", x=2),
    ]
    assert [m["x"] for _, m in parse_points(stats)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ({"timestamp": "x"}, "stats must be a list of points"),
        ([1], "stats[0] must be an object with timestamp and metrics"),
        ([{"metrics": {}}], "stats[0].timestamp is missing"),
        ([raw_point(), {"timestamp": 5, "metrics": {}}], "stats[1].timestamp must be"),
        ([raw_point("yesterday")], "stats[0].timestamp: 'yesterday' is not an RFC 3339"),
        ([raw_point("2017-11-27T14:52:53")], "stats[0].timestamp: '2017-11-27T14:52:53' is"),
        ([raw_point("2017-02-30T14:52:53Z")], "stats[0].timestamp: day is out of range"),
        ([raw_point("1969-12-31T23:59:59Z")], "stats[0].timestamp is before 1970"),
        ([raw_point("9999-12-31T23:59:59-01:00")], "stats[0].timestamp: '9999-12-31T23:59:59"),
        ([raw_point(cpu_user=1.5)], "stats[0].metrics.cpu_user must be an integer"),
        ([raw_point(cpu_user=-1)], "stats[0].metrics.cpu_user must be an integer from 0 to"),
        ([raw_point(cpu_user="3")], "got '3'"),
        ([raw_point(cpu_user=True)], "stats[0].metrics.cpu_user must be an integer"),
        ([raw_point(net_rx=MAX_METRIC + 1)], "stats[0].metrics.net_rx must be an integer"),
        ([{"timestamp": "2017-11-27T14:52:53Z", "metrics": []}], "stats[0].metrics must be"),
        ([{"timestamp": "2017-11-27T14:52:53Z", "values": {}}], "stats[0].values is not a"),
        ([raw_point(**{"a\x00": 1})], "stats[0].metrics name must not contain NUL characters"),
    ],
)
def test_it_rejects_bad_points_naming_point_and_key(stats, message):
    with pytest.raises(StatsError) as error:
        parse_points(stats)
    assert message in str(error.value)


def test_it_keeps_unknown_metrics_and_the_largest_values():
    stored = dump_points(parse_points([raw_point(gpu_util=7, net_rx=MAX_METRIC)]))
    assert stored == [
        {"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"gpu_util": 7, "net_rx": MAX_METRIC}}
    ]


def test_it_cleans_raw_histograms_of_any_length_to_at_most_240_points():
    stats = [
        raw_point(format_timestamp(START + i * NS_PER_SECOND), cpu_total=i % 100)
        for i in range(3600)
    ]
    stored = dump_points(reduce_points(parse_points(list(reversed(stats)))))
    assert len(stored) == 240
    assert stored[0]["timestamp"] < stored[-1]["timestamp"]


# Summaries.


def test_it_loads_stored_points_without_validating_them_again():
    # A metric past what ingest accepts now must not make an old row unreadable.
    stored = [{"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"x": -1}}]
    assert load_points(stored) == [(parse_timestamp("2017-11-27T14:52:53.123Z"), {"x": -1})]
    with pytest.raises(StatsError):
        parse_points(stored)


def test_it_computes_percentiles_by_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3], 50) == 2
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile([7], 95) == 7


def test_it_describes_values():
    assert describe([4, 1, 3, 2]) == {
        "count": 4,
        "min": 1,
        "max": 4,
        "average": 2.5,
        "median": 2.5,
        "p95": pytest.approx(3.85),
    }
    assert describe([]) == {"count": 0}


def test_it_turns_counters_into_rates_and_totals():
    points = [(0, {"net_rx": 0}), (2 * NS_PER_SECOND, {"net_rx": 1000}), (3 * NS_PER_SECOND, {})]
    points.append((4 * NS_PER_SECOND, {"net_rx": 1500}))
    assert counter_rates(points, "net_rx") == [
        (2 * NS_PER_SECOND, 500.0),
        (4 * NS_PER_SECOND, 250.0),
    ]
    assert counter_total(points, "net_rx") == 1500


def test_it_counts_a_reset_counter_from_zero():
    points = [(0, {"disk_write": 900}), (NS_PER_SECOND, {"disk_write": 100})]
    assert counter_rates(points, "disk_write") == [(NS_PER_SECOND, 100.0)]
    assert counter_total(points, "disk_write") == 100


def test_it_summarizes_every_metric():
    points = [
        (i * NS_PER_SECOND, {"cpu_total": cpu, "mem_usage": mem, "mem_limit": 400, "net_tx": tx})
        for i, (cpu, mem, tx) in enumerate([(10, 100, 0), (30, 200, 50), (20, 300, 150)])
    ]
    summary = summarize(points)
    assert summary["cpu_total"] == {
        "count": 3,
        "min": 10,
        "max": 30,
        "average": 20.0,
        "median": 20,
        "p95": pytest.approx(29.0),
    }
    assert summary["net_tx"]["total"] == 150
    assert summary["net_tx"]["rate"]["count"] == 2
    assert summary["net_tx"]["rate"]["max"] == 100.0
    assert summary["mem_usage"]["share_of_limit"]["max"] == 75.0
    assert summary["mem_usage"]["share_of_limit"]["min"] == 25.0
    assert "rate" not in summary["cpu_total"]
    assert summary["mem_limit"]["median"] == 400


def test_it_summarizes_an_empty_histogram_as_nothing():
    assert summarize([]) == {}


def test_the_peak_memory_share_is_the_largest_share_of_a_limit():
    metrics = [
        {"mem_usage": 50, "mem_limit": 200},
        {"mem_usage": 90, "mem_limit": 120},
        {"mem_usage": 500},  # no limit
        {"mem_usage": 500, "mem_limit": 0},  # no limit either
        {"mem_limit": 100},  # no usage
    ]
    assert peak_memory_share(metrics) == 75.0
    assert peak_memory_share(metrics[2:]) is None
    assert peak_memory_share([]) is None
