"""calls.sketch: mergeable log-scale histograms, within their stated relative error."""

import random

import pytest

from calls import sketch
from calls.stats import percentile


def sketch_of(values) -> sketch.Sketch:
    made: sketch.Sketch = {}
    for value in values:
        sketch.add(made, value)
    return made


def test_it_places_every_value_within_the_relative_accuracy_of_its_bin():
    for value in [1e-6, 0.0042, 1, 1.5, 999.9, 2.0**64 - 1]:
        estimate = sketch.value_of(sketch.key_of(value))
        assert abs(estimate - value) <= sketch.RELATIVE_ACCURACY * value


def test_it_counts_zero_and_tiny_values_as_zero():
    made = sketch_of([0, 0.0, 1e-12, 5])
    assert made[sketch.ZERO] == 3
    assert sketch.percentiles(made, (0, 50)) == {"p0": 0.0, "p50": 0.0}


def test_it_answers_none_for_an_empty_sketch():
    assert sketch.percentiles({}, (50, 99)) == {"p50": None, "p99": None}


@pytest.mark.parametrize("seed", range(5))
def test_its_percentiles_stay_within_the_relative_accuracy_of_exact_ones(seed):
    rng = random.Random(seed)
    values = [rng.lognormvariate(0, 2) for _ in range(rng.randint(1, 3000))]
    exact = sorted(values)
    made = sketch_of(values)
    for q, estimate in sketch.percentiles(made, (0, 1, 50, 90, 95, 99, 99.9, 100)).items():
        expected = percentile(exact, float(q[1:]))
        assert estimate == pytest.approx(expected, rel=sketch.RELATIVE_ACCURACY)


def test_merged_sketches_equal_the_sketch_of_all_values():
    rng = random.Random(7)
    parts = [[rng.expovariate(1) for _ in range(100)] for _ in range(4)]
    total: sketch.Sketch = {}
    for part in parts:
        sketch.merge(total, sketch_of(part))
    assert total == sketch_of(sum(parts, []))
    assert sketch.count(total) == 400
