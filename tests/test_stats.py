"""calls/stats.py on its own: validation, the stored form, summaries."""

import pytest

from calls.fntime import NS_PER_SECOND, format_timestamp, parse_timestamp
from calls.reduction import reduce_points
from calls.stats import (
    MAX_METRIC,
    StatsError,
    counter_rates,
    counter_total,
    describe,
    dump_points,
    go_order,
    load_points,
    parse_points,
    peak_memory_share,
    percentile,
    summarize,
)

START = parse_timestamp("2016-08-11T00:00:00Z")


def raw_point(timestamp="2017-11-27T14:52:53.123Z", **metrics):
    return {"timestamp": timestamp, "metrics": metrics}


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
        # Values are checked after the loop, yet the first point at fault is the one named.
        ([raw_point(a=1), raw_point(a=1), raw_point(a=-1)], "stats[2].metrics.a must be"),
        ([raw_point(a=-1), {"timestamp": 5, "metrics": {}}], "stats[0].metrics.a must be"),
        ([raw_point(a=-1), raw_point(**{"b\x00": 1})], "stats[0].metrics.a must be"),
    ],
)
def test_it_rejects_bad_points_naming_point_and_key(stats, message):
    with pytest.raises(StatsError) as error:
        parse_points(stats)
    assert message in str(error.value)


def test_it_puts_stored_points_in_gos_order_and_leaves_ordered_ones_alone():
    ordered = [{"timestamp": "t", "metrics": {"a": 1, "b": 2}}]
    assert go_order(ordered) is ordered
    for unordered in (
        [*ordered, {"timestamp": "u", "metrics": {"b": 2, "a": 1}}],
        [{"metrics": {"a": 1, "b": 2}, "timestamp": "t"}],
    ):
        result = go_order(unordered)
        assert [list(point) for point in result] == [["timestamp", "metrics"]] * len(unordered)
        assert [list(point["metrics"]) for point in result] == [["a", "b"]] * len(unordered)


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
