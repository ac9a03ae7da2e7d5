"""Pure numeric code for a call's stats histogram: validate, reduce to 240 points, summarize.

A histogram arrives as a list of points `{"timestamp": "<RFC 3339>", "metrics": {name: uint64}}`.
Inside this module a point is a `(nanoseconds since the epoch, metrics)` tuple, because Fn's
reduction works in whole nanoseconds and Python's datetime stops at microseconds.
No Django here: numbers in, numbers out.
"""

from collections.abc import Iterable
from itertools import pairwise
from operator import itemgetter

from calls.fntime import NS_PER_SECOND, format_timestamp, parse_timestamp
from calls.text import unstorable

Point = tuple[int, dict[str, int]]

MAX_POINTS = 240
MAX_METRIC = 2**64 - 1
# Fn reports 9 metrics with names under 16 characters; these bounds leave room for more while
# capping a stored histogram at 240 points x 16 names (well under 400 KB of JSON).
MAX_METRIC_NAMES = 16
MAX_METRIC_NAME_LENGTH = 64
# Metrics that only grow during a call; they are also shown as rates and totals.
COUNTERS = ("net_rx", "net_tx", "disk_read", "disk_write")
MIB = 2**20


class StatsError(ValueError):
    """A histogram that cannot be stored; the message names the point and the key."""


def parse_points(stats: object) -> list[Point]:
    """Validate a histogram and return its points sorted by time.

    Unsorted input is sorted, not rejected: senders merge samples from several sources.
    Written for speed (a call may bring thousands of points): each metric name is checked when
    first met, and a point's values are checked together by C-level builtins; the slow path
    that names the offending key runs only for a point that fails.
    """
    if not isinstance(stats, list):
        raise StatsError("stats must be a list of points")
    points = []
    names: set[str] = set()
    for index, point in enumerate(stats):
        where = f"stats[{index}]"
        if type(point) is not dict or not point.keys() <= _POINT_FIELDS:
            raise StatsError(point_shape_error(where, point))
        try:
            ns = parse_timestamp(point["timestamp"])
        except (KeyError, TypeError, ValueError):
            raise StatsError(point_shape_error(where, point)) from None
        if ns < 0:
            raise StatsError(f"{where}.timestamp is before 1970")
        metrics = point.get("metrics", {})
        if type(metrics) is not dict:
            raise StatsError(f"{where}.metrics must be an object of metric names to integers")
        if not metrics.keys() <= names:
            check_names(where, metrics.keys() - names)
            names.update(metrics)
            if len(names) > MAX_METRIC_NAMES:
                raise StatsError(f"stats name more than {MAX_METRIC_NAMES} different metrics")
        values = metrics.values()
        # bool is an int subclass in Python, but true is not a byte count.
        if values and not (
            set(map(type, values)) == {int} and min(values) >= 0 and max(values) <= MAX_METRIC
        ):
            raise StatsError(value_error(where, metrics))
        points.append((ns, metrics))
    points.sort(key=lambda point: point[0])
    return points


_POINT_FIELDS = {"timestamp", "metrics"}


def point_shape_error(where: str, point: object) -> str:
    """What is wrong with a point that is not {"timestamp": "<RFC 3339>", "metrics": {...}}."""
    if not isinstance(point, dict):
        return f"{where} must be an object with timestamp and metrics"
    unknown = sorted(set(point) - _POINT_FIELDS)
    if unknown:
        return f"{where}.{unknown[0]} is not a field of a point"
    if "timestamp" not in point:
        return f"{where}.timestamp is missing"
    if not isinstance(point["timestamp"], str):
        return f"{where}.timestamp must be an RFC 3339 string"
    try:
        parse_timestamp(point["timestamp"])
    except ValueError as e:
        return f"{where}.timestamp: {e}"
    raise AssertionError(f"{where} is a valid point")


def check_names(where: str, new_names: set[str]) -> None:
    for name in sorted(new_names):
        if problem := unstorable(name):
            raise StatsError(f"{where}.metrics name {problem}")
        if len(name) > MAX_METRIC_NAME_LENGTH:
            raise StatsError(
                f"{where}.metrics names are at most {MAX_METRIC_NAME_LENGTH} characters"
            )


def value_error(where: str, metrics: dict) -> str:
    """The message for the first metric of a point whose value is not a uint64."""
    for key, value in metrics.items():
        if type(value) is not int or not 0 <= value <= MAX_METRIC:
            return f"{where}.metrics.{key} must be an integer from 0 to {MAX_METRIC}, got {value!r}"
    raise AssertionError(f"{where} has valid metrics")


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
    start = points[0][0]
    # At least 1 ns: Fn's loop never ended when all points fell within 240 ns of each other.
    window = max((points[-1][0] - start) // max_points, 1)
    reduced: list[Point] = []
    window_end = start + window
    first = 0
    while first < len(points):
        end = first
        if len(reduced) == max_points - 1:
            end = len(points)
        while end < len(points) and points[end][0] <= window_end:
            end += 1
        if end > first:
            reduced.append(average(points[first:end]))
        window_end += window
        first = end
    return reduced


def dump_points(points: list[Point]) -> list[dict]:
    """The stored and wire form of points, metric names sorted as Go's encoder sorts them."""
    return [
        {"timestamp": format_timestamp(ns), "metrics": dict(sorted(metrics.items()))}
        for ns, metrics in points
    ]


def go_order(stored: list[dict]) -> list[dict]:
    """Stored points with their metric names sorted, as Go's encoder writes a map."""
    return [
        {"timestamp": point["timestamp"], "metrics": dict(sorted(point["metrics"].items()))}
        for point in stored
    ]


def load_points(stored: list[dict]) -> list[Point]:
    """The points of a stored histogram. Ingest validated them once; reads trust them, so a
    rule added later never turns an old row into an error on read."""
    return [(parse_timestamp(point["timestamp"]), point["metrics"]) for point in stored]


def percentile(sorted_values: list, q: float) -> float | int:
    """The q-th percentile (0-100) of sorted values, interpolating linearly between ranks."""
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    fraction = position - low
    if fraction == 0:
        return sorted_values[low]
    return sorted_values[low] + (sorted_values[low + 1] - sorted_values[low]) * fraction


def describe(values: list) -> dict:
    """Count, min, max, average, median and p95 of a list of numbers (empty -> count 0)."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "average": sum(ordered) / len(ordered),
        "median": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
    }


def series(points: list[Point], key: str) -> list[tuple[int, int]]:
    """(time in ns, value) for every point that has the metric."""
    return [(ns, metrics[key]) for ns, metrics in points if key in metrics]


def counter_rates(points: list[Point], key: str) -> list[tuple[int, float]]:
    """Bytes per second of a growing counter between consecutive points, at the later point.

    A counter that goes down was reset (a new container), so it counts from zero again,
    as Prometheus' rate() treats resets.
    """
    rates = []
    values = series(points, key)
    for (t0, v0), (t1, v1) in pairwise(values):
        if t1 > t0:
            delta = v1 - v0 if v1 >= v0 else v1
            rates.append((t1, delta * NS_PER_SECOND / (t1 - t0)))
    return rates


def counter_total(points: list[Point], key: str) -> int:
    """Bytes a counter grew by over the call, counting resets like counter_rates."""
    values = [value for _, value in series(points, key)]
    return sum(v1 - v0 if v1 >= v0 else v1 for v0, v1 in pairwise(values))


def share_of_limit(metrics: dict) -> float | None:
    """mem_usage as a percentage of mem_limit, when a point carries both and a limit."""
    if metrics.get("mem_limit") and "mem_usage" in metrics:
        return metrics["mem_usage"] * 100 / metrics["mem_limit"]
    return None


def memory_share(points: list[Point]) -> list[tuple[int, float]]:
    """share_of_limit at each point that has one."""
    return [(ns, share) for ns, metrics in points if (share := share_of_limit(metrics)) is not None]


def peak_memory_share(metrics: Iterable[dict]) -> float | None:
    """The largest share_of_limit over a call's points: the figure rollups and lists use."""
    shares = (share_of_limit(point) for point in metrics)
    return max((share for share in shares if share is not None), default=None)


def summarize(points: list[Point]) -> dict[str, dict]:
    """Per metric: count, min, max, average, median and p95 over the points.

    Counters also get `rate` (the same figures over bytes per second) and `total`;
    mem_usage also gets `share_of_limit` (percent of mem_limit).
    """
    keys = sorted({key for _, metrics in points for key in metrics})
    summary = {}
    for key in keys:
        summary[key] = describe([value for _, value in series(points, key)])
        if key in COUNTERS:
            summary[key]["rate"] = describe([rate for _, rate in counter_rates(points, key)])
            summary[key]["total"] = counter_total(points, key)
    if "mem_usage" in summary:
        summary["mem_usage"]["share_of_limit"] = describe(
            [share for _, share in memory_share(points)]
        )
    return summary
