"""Pure maths of mergeable log-scale histograms (in the spirit of DDSketch), for the rollups.

A sketch is a dict {bin key: count}. A value v > 0 falls in bin i = ceil(log_GAMMA(v)), which
holds (GAMMA^(i-1), GAMMA^i]; the bin stands for 2 GAMMA^i / (GAMMA + 1), within
RELATIVE_ACCURACY of every value in it. Values at or below ZERO_BELOW go to bin ZERO, a key
below every other. Sketches merge by adding counts, so a percentile over any span is exact up
to that relative error, and a sketch holds at most one bin per factor of GAMMA: about 1,300
bins from a microsecond to a day, fewer in practice. Keys are ints, so that ordering the bins
is a plain sort: with the strings JSON objects key by, turning them into numbers to sort them
was most of a 30-day trend's time (rollups store a sketch as lists of keys and counts, see
calls.fields.SketchField).

Percentiles interpolate linearly between ranks, as `calls.stats.percentile` does over exact
values: both neighbours are within the relative error, so their interpolation is too.
No Django here: numbers in, numbers out.
"""

import bisect
import math
from collections.abc import Iterable
from itertools import accumulate

Sketch = dict[int, int]

RELATIVE_ACCURACY = 0.01  # 1%: the bound the pages state is the 2%, with room to spare
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
ZERO = -(2**31)
ZERO_BELOW = 1e-9  # a nanosecond of duration, a billionth of a byte or of a CPU share


def key_of(value: float) -> int:
    if value <= ZERO_BELOW:
        return ZERO
    return math.ceil(math.log(value) / _LOG_GAMMA)


def value_of(key: int) -> float:
    if key == ZERO:
        return 0.0
    return 2 * GAMMA**key / (GAMMA + 1)


def add(sketch: Sketch, value: float) -> None:
    key = key_of(value)
    sketch[key] = sketch.get(key, 0) + 1


def merge(into: Sketch, other: Sketch) -> None:
    if not into:  # a copy, done by dict.update: each trends bucket is one row merged into none
        into.update(other)
        return
    for key, count in other.items():
        into[key] = into.get(key, 0) + count


def count(sketch: Sketch) -> int:
    return sum(sketch.values())


def percentiles(sketch: Sketch, qs: Iterable[float]) -> dict[str, float | None]:
    """{"p50": ..., ...}: the q-th percentiles (0-100), or None for each of an empty sketch."""
    qs = list(qs)
    # The bins in ascending order (the zero bin first; a stored sketch comes sorted, which the
    # sort only checks), and the running count up to each: a rank's bin is then a bisection
    # away, and only the bins a percentile lands in are turned into values (a 30-day trend's
    # buckets hold hundreds of bins each).
    keys = sorted(sketch)
    running = list(accumulate(map(sketch.__getitem__, keys)))
    if not running or not running[-1]:
        return {f"p{q}": None for q in qs}
    return {f"p{q}": _percentile(keys, running, q) for q in qs}


def _percentile(keys: list[int], running: list[int], q: float) -> float:
    position = (running[-1] - 1) * q / 100
    low = int(position)
    fraction = position - low
    low_value = _value_at_rank(keys, running, low)
    if fraction == 0:
        return low_value
    return low_value + (_value_at_rank(keys, running, low + 1) - low_value) * fraction


def _value_at_rank(keys: list[int], running: list[int], rank: int) -> float:
    """The value of the rank-th smallest (from 0) value counted in the bins: that of the first
    bin whose running count passes it, so never an empty bin's."""
    return value_of(keys[min(bisect.bisect_right(running, rank), len(keys) - 1)])
