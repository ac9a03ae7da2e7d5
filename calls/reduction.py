"""Fn's reduction of a call's stats histogram to at most 240 points (Fn's `Decimate`), in whole
nanoseconds. Pure numeric code on `calls.stats` points; no Django here."""

from bisect import bisect_right
from itertools import accumulate, repeat
from operator import floordiv, itemgetter, sub

from calls.stats import MAX_POINTS, Point


def average(points: list[Point]) -> Point:
    """Collapse points into one, as Fn's `average` does: mean time, truncating integer means.

    One deliberate difference: a metric missing from some points is averaged over the points
    that have it (Fn counted it as 0 there), because a missing sample is unknown, not zero.
    """
    if len(points) == 1:
        return points[0]
    n = len(points)
    ns = sum(t // n for t, _ in points)
    all_metrics = [metrics for _, metrics in points]
    keys = all_metrics[0].keys()
    if all(metrics.keys() == keys for metrics in all_metrics):  # the usual case, in C
        return ns, {key: sum(map(itemgetter(key), all_metrics)) // n for key in keys}
    sums: dict[str, int] = {}
    counts: dict[str, int] = {}
    for metrics in all_metrics:
        for key, value in metrics.items():
            sums[key] = sums.get(key, 0) + value
            counts[key] = counts.get(key, 0) + 1
    return ns, {key: sums[key] // counts[key] for key in sums}


def reduce_points(points: list[Point], max_points: int = MAX_POINTS) -> list[Point]:
    """Fn's `Decimate`: average sorted points into time windows so at most max_points remain.

    The window is (last - first) / max_points in whole nanoseconds (a float window changes
    Fn's figures). Empty windows produce nothing, so a call with a long pause keeps fewer
    points; once max_points - 1 points exist the last window takes every remaining point.
    """
    if len(points) <= max_points:
        return list(points)
    if max_points <= 0:
        return []
    times = [ns for ns, _ in points]
    start = times[0]
    # At least 1 ns: Fn's loop never ended when all points fell within 240 ns of each other.
    window = max((times[-1] - start) // max_points, 1)
    windows: list[tuple[int, int]] = []  # [first, end) of the points each window averages
    window_end = start + window
    first = 0
    while first < len(points):
        if len(windows) == max_points - 1:
            end = len(points)
        else:
            end = bisect_right(times, window_end, first)
        if end > first:
            windows.append((first, end))
        window_end += window
        first = end
    return average_windows(points, times, windows)


def average_windows(
    points: list[Point], times: list[int], windows: list[tuple[int, int]]
) -> list[Point]:
    """average() of each [first, end) slice of points. When every point has the same metrics
    (Fn's samplers report all nine each time), each metric's running total is summed once and
    a window's mean is the difference of two totals, all by C-level builtins: the same
    integers, several times faster than averaging window by window."""
    all_metrics = [metrics for _, metrics in points]
    keys = list(all_metrics[0])
    if not all(map(all_metrics[0].keys().__eq__, map(dict.keys, all_metrics))):
        return [average(points[first:end]) for first, end in windows]
    firsts, ends = [first for first, _ in windows], [end for _, end in windows]
    sizes = list(map(sub, ends, firsts))
    means = []
    for key in keys:
        total = list(accumulate(map(itemgetter(key), all_metrics), initial=0)).__getitem__
        means.append(map(floordiv, map(sub, map(total, ends), map(total, firsts)), sizes))
    # Fn's mean time: each time divided by the count, then summed (not the sum divided).
    times_of = (times[first:end] for first, end in windows)
    mean_times = [
        sum(map(floordiv, some, repeat(n))) for some, n in zip(times_of, sizes, strict=True)
    ]
    return [
        (ns, dict(zip(keys, values, strict=True)))
        for ns, values in zip(mean_times, zip(*means, strict=True), strict=True)
    ]
