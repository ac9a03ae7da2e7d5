"""Pure numeric code for a call's stats histogram: validate, store, summarize (reduced to 240
points by `calls.reduction`).

A histogram arrives as a list of points `{"timestamp": "<RFC 3339>", "metrics": {name: uint64}}`.
Inside this module a point is a `(nanoseconds since the epoch, metrics)` tuple, because Fn's
reduction works in whole nanoseconds and Python's datetime stops at microseconds.
No Django here: numbers in, numbers out.
"""

from collections.abc import Iterable
from itertools import chain, pairwise
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
    first met, and the values of every point are checked together by C-level builtins once
    the loop is done; the slow paths that name the offending point run only when one fails,
    so the first point at fault is named, whatever is wrong with it.
    """
    if not isinstance(stats, list):
        raise StatsError("stats must be a list of points")
    points = []
    names: set[str] = set()
    for index, point in enumerate(stats):
        if type(point) is not dict or not point.keys() <= _POINT_FIELDS:
            raise refused(points, point_shape_error(f"stats[{index}]", point))
        try:
            ns = parse_timestamp(point["timestamp"])
        except (KeyError, TypeError, ValueError):
            raise refused(points, point_shape_error(f"stats[{index}]", point)) from None
        metrics = point.get("metrics", {})
        if ns < 0 or type(metrics) is not dict:
            raise refused(points, point_error(f"stats[{index}]", ns))
        if not metrics.keys() <= names:
            check_values(points)
            check_names(f"stats[{index}]", metrics.keys() - names)
            names.update(metrics)
            if len(names) > MAX_METRIC_NAMES:
                raise StatsError(f"stats name more than {MAX_METRIC_NAMES} different metrics")
        points.append((ns, metrics))
    check_values(points)
    points.sort(key=itemgetter(0))
    return points


_POINT_FIELDS = {"timestamp", "metrics"}
_GO_POINT = ("timestamp", "metrics")  # the order of a point's fields on Fn's wire


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


def point_error(where: str, ns: int) -> str:
    """What is wrong with a point whose time is before 1970 or whose metrics are no object."""
    if ns < 0:
        return f"{where}.timestamp is before 1970"
    return f"{where}.metrics must be an object of metric names to integers"


def refused(points: list[Point], message: str) -> StatsError:
    """The error for the point after `points`, unless one of those has a bad value."""
    check_values(points)
    return StatsError(message)


def check_values(points: list[Point]) -> None:
    """Every value is a uint64: checked over all points at once by C-level builtins, and
    point by point only to name the first one at fault. bool is an int subclass in Python,
    but true is not a byte count."""
    values = list(chain.from_iterable(metrics.values() for _, metrics in points))
    if not values or (
        set(map(type, values)) == {int} and min(values) >= 0 and max(values) <= MAX_METRIC
    ):
        return
    for index, (_, metrics) in enumerate(points):
        for key, value in metrics.items():
            if type(value) is not int or not 0 <= value <= MAX_METRIC:
                raise StatsError(
                    f"stats[{index}].metrics.{key} must be an integer from 0 to {MAX_METRIC},"
                    f" got {value!r}"
                )


def dump_points(points: list[Point]) -> list[dict]:
    """The stored and wire form of points, metric names sorted as Go's encoder sorts them."""
    return [
        {"timestamp": format_timestamp(ns), "metrics": dict(sorted(metrics.items()))}
        for ns, metrics in points
    ]


def go_order(stored: list[dict]) -> list[dict]:
    """Stored points with their metric names sorted, as Go's encoder writes a map: the points
    as they are when they already are (dump_points writes them so), found by comparing the
    few distinct orders of names a histogram has rather than sorting every point again."""
    shapes = {(*point, *point["metrics"]) for point in stored}
    if all(shape[:2] == _GO_POINT and list(shape[2:]) == sorted(shape[2:]) for shape in shapes):
        return stored
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
