"""calls/reduction.py on its own: Fn's reduction to 240 points, and its figures."""

import itertools
import random

import pytest

from calls.fntime import NS_PER_SECOND, parse_timestamp
from calls.reduction import average, reduce_points
from calls.stats import MAX_METRIC

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


def fn_decimate(points, max_points=240):
    """Fn's Decimate as Fn wrote it, window by window through average(): the oracle for
    reduce_points, which averages by running totals."""
    start = points[0][0]
    window = max((points[-1][0] - start) // max_points, 1)
    reduced, window_end, first = [], start + window, 0
    while first < len(points):
        end = len(points) if len(reduced) == max_points - 1 else first
        while end < len(points) and points[end][0] <= window_end:
            end += 1
        if end > first:
            reduced.append(average(points[first:end]))
        window_end += window
        first = end
    return reduced


@pytest.mark.parametrize("count", [241, 600, 3601])
@pytest.mark.parametrize("gaps", [False, True])
@pytest.mark.parametrize("same_metrics", [True, False])
def test_it_reduces_exactly_as_averaging_window_by_window(count, gaps, same_metrics):
    rng = random.Random(count)
    spread = 10**9 if gaps else 10**13  # clustered times leave windows empty
    points = []
    for _ in range(count):
        metrics = {"a": rng.randrange(MAX_METRIC), "b": rng.randrange(100)}
        if not same_metrics and rng.random() < 0.1:
            del metrics["b"]
        ns = START + rng.randrange(10) * 10**13 * gaps + rng.randrange(spread)
        points.append((ns, metrics))
    points.sort(key=lambda point: point[0])
    assert reduce_points(points) == fn_decimate(points)


def test_it_averages_a_metric_over_the_points_that_carry_it():
    ns, metrics = average([(0, {"a": 10, "b": 4}), (2, {"a": 20})])
    assert metrics == {"a": 15, "b": 4}
    assert ns == 1


def test_it_averages_the_largest_values_without_overflow():
    ns, metrics = average([(0, {"a": MAX_METRIC}), (10, {"a": MAX_METRIC})])
    assert metrics == {"a": MAX_METRIC}
