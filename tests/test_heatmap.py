"""The duration heatmap from sketches: its rows, their bounds for the calls list, its colours."""

import random
from decimal import Decimal

import pytest

from calls import sketch
from calls.heatmap import EDGES, LADDER, LEVELS, describe, heatmap, level, micros_above, row_of


def durations(*seconds: float) -> sketch.Sketch:
    histogram: sketch.Sketch = {}
    for value in seconds:
        sketch.add(histogram, value)
    return histogram


def bounds(row: int) -> tuple[int, float]:
    """A row's calls-list bounds in whole microseconds (no upper bound: infinity)."""
    _, low, high = describe(row)
    return int(Decimal(low) * 10**6), float("inf") if high is None else int(Decimal(high) * 10**6)


def test_it_counts_calls_per_bucket_and_row_longest_first():
    rows = heatmap([durations(0.7, 0.8, 3), {}, durations(1.0, 0.6)])
    assert [row.label for row in rows] == ["2 s–5 s", "1 s–2 s", "500 ms–1 s"]
    assert [row.calls for row in rows] == [[1, 0, 0], [0, 0, 0], [2, 0, 2]]
    assert rows[0].levels[0] < rows[2].levels[0] == LEVELS
    assert rows[1].levels == [0, 0, 0]


def test_it_has_no_rows_without_durations():
    assert heatmap([{}, {}]) == []


def test_its_rows_are_about_a_factor_of_2_and_whole_bins_near_their_labels():
    assert list(EDGES) == sorted(set(EDGES))
    for seconds, edge in zip(LADDER, EDGES, strict=True):
        assert sketch.GAMMA**edge == pytest.approx(seconds, rel=sketch.RELATIVE_ACCURACY)
    for low, high in zip(LADDER, LADDER[1:], strict=False):
        assert 1.4 < high / low <= 3


def test_it_labels_rows_readably_and_gives_their_bounds():
    assert describe(row_of(sketch.key_of(0.75))) == ("500 ms–1 s", "0.496574", "1.000001")
    assert describe(row_of(sketch.key_of(45)))[0] == "30 s–1 min"
    assert describe(row_of(sketch.key_of(0)))[:2] == ("under 1 µs", "0.000000")
    assert describe(row_of(sketch.key_of(10**6))) == ("over 1 d", "85851.873531", None)
    assert describe(row_of(sketch.key_of(3e-6)))[0] == "2 µs–5 µs"


def test_a_duration_is_in_a_row_exactly_when_the_calls_list_bounds_hold_it():
    """Rollups file a call by key_of(its duration in seconds), a whole number of microseconds;
    the calls list by min_duration <= duration < max_duration. Both must agree everywhere,
    above all next to every row's edges, where floating point could split them."""
    micros = [0, 1, 2, 3, 10**6, 86400 * 10**6 * 3]
    for edge in EDGES:
        at = int(sketch.GAMMA**edge * 10**6)
        micros += range(max(0, at - 2), at + 3)
    rng = random.Random(12)
    micros += [int(10 ** rng.uniform(0, 11)) for _ in range(20_000)]
    for n in micros:
        row = row_of(sketch.key_of(n / 10**6))
        low, high = bounds(row)
        assert low <= n < high, (n, row)
        if row:
            assert n >= bounds(row - 1)[1]  # so in no lower row


def test_the_bounds_follow_the_rule_for_a_cell():
    # (GAMMA^a, GAMMA^b] holds the durations from floor(GAMMA^a * 1e6) + 1 microseconds on.
    assert micros_above(0) == "1.000001"
    assert micros_above(EDGES[0]) == "0.000001"
    assert float(micros_above(100)) == (int(sketch.GAMMA**100 * 10**6) + 1) / 10**6


def test_its_colours_grow_with_calls_on_a_log_scale():
    assert level(0, 1000) == 0
    assert level(1, 1000) == 1
    assert level(1000, 1000) == LEVELS
    assert level(1, 1) == LEVELS
    steps = [level(n, 10**6) for n in (1, 10, 1000, 10**5, 10**6)]
    assert steps == sorted(set(steps))  # each more calls, a darker colour
