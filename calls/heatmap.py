"""A duration heatmap: calls per time bucket and log-scale duration row, from the rollups'
duration sketches alone (never the calls), so it costs buckets x rows whatever the traffic:
at most trends.MAX_BUCKETS (400) columns x len(LADDER) + 1 (36) rows.

A row is a run of whole sketch bins, between two edges: the bin boundaries GAMMA^k nearest a
ladder of readable durations (1, 2, 5 per decade up to 10 s, then minutes and hours; about a
factor of 2 a row). A call's row is therefore known from its bin, and each edge lies within
1% of the duration its label names, or within a microsecond below 100 µs (the "2 µs" edge
takes in calls from 3 µs). Because a rollup's duration is a whole number of microseconds
(the calls' times are), a row (GAMMA^a, GAMMA^b] holds exactly the calls with
A <= duration < B for A, B = (floor(GAMMA^a * 1e6) + 1) / 1e6 and the same of b: the bounds
the calls list's min_duration and max_duration filters take.
No Django here: sketches in, rows out.
"""

import bisect
import functools
import math
from collections import defaultdict
from dataclasses import dataclass

from calls import sketch

LADDER = (
    *(m * 10.0**e for e in range(-6, 1) for m in (1, 2, 5)),
    *(10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400),
)
# The sketch bin key at or below which each ladder value's row ends.
EDGES = tuple(round(math.log(seconds, sketch.GAMMA)) for seconds in LADDER)
LEVELS = 8  # colours, from a few calls to the most in any cell


@dataclass
class Row:
    label: str  # "500 ms–1 s"
    min_duration: str  # seconds to the microsecond, inclusive
    max_duration: str | None  # exclusive; None: no upper bound
    calls: list[int]  # per bucket
    levels: list[int]  # per bucket: 0 for none, else 1 to LEVELS


@functools.cache  # a few hundred keys, met in every bucket of every heatmap
def row_of(key: int) -> int:
    """The row (0 up to len(EDGES)) of a sketch bin: row r holds bins EDGES[r-1] < key <=
    EDGES[r]; row 0 also the zero bin (the lowest key), the last row every bin above the top
    edge."""
    return bisect.bisect_left(EDGES, key)


def micros_above(key: int) -> str:
    """The shortest whole-microsecond duration above GAMMA^key, in seconds with 6 decimals."""
    micros = math.floor(sketch.GAMMA**key * 1_000_000) + 1
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def readable(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1), ("ms", 1e-3)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds * 1e6:g} µs"


def describe(row: int) -> tuple[str, str, str | None]:
    """A row's label and its bounds for the calls list."""
    if row == 0:
        return f"under {readable(LADDER[0])}", "0.000000", micros_above(EDGES[0])
    if row == len(EDGES):
        return f"over {readable(LADDER[-1])}", micros_above(EDGES[-1]), None
    low, high = LADDER[row - 1], LADDER[row]
    return (
        f"{readable(low)}–{readable(high)}",
        micros_above(EDGES[row - 1]),
        micros_above(EDGES[row]),
    )


def level(calls: int, most: int) -> int:
    """A colour step on a log scale, so that a cell with a few calls still shows."""
    if not calls:
        return 0
    return max(1, math.ceil(LEVELS * math.log1p(calls) / math.log1p(most)))


def heatmap(durations: list[sketch.Sketch]) -> list[Row]:
    """Rows from the longest durations down, each with its calls in every bucket (one
    duration sketch a bucket), from the shortest row with calls to the longest; [] when none."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(durations))
    for column, durations_of_bucket in enumerate(durations):
        for key, n in durations_of_bucket.items():
            if n:
                counts[row_of(key)][column] += n
    if not counts:
        return []
    most = max(max(calls) for calls in counts.values())
    rows = []
    for row in range(max(counts), min(counts) - 1, -1):
        calls = counts.get(row, [0] * len(durations))
        label, low, high = describe(row)
        rows.append(Row(label, low, high, calls, [level(n, most) for n in calls]))
    return rows
