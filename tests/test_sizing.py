"""Right-sizing from merged rollups: figures, counts near the limit and the advice's rules."""

import pytest

from calls import sizing
from calls.rollups import Observation, Partial
from calls.stats import MIB
from tests.conftest import T0


def total(peaks_mib: list[float], limit_mib: float | None = 256, cpu: float = 20) -> Partial:
    merged = Partial()
    for peak in peaks_mib:
        share = None if limit_mib is None else 100 * peak / limit_mib
        merged.add(
            Observation(
                "myapp", "/hello", "success", T0, 1.0, peak * MIB, share,
                None if limit_mib is None else limit_mib * MIB, cpu,
            )
        )  # fmt: skip
    return merged


def test_it_gives_the_figures_a_path_rests_on():
    figures = sizing.sizing("/hello", total([10] * 99 + [40], cpu=50))
    assert figures["path"] == "/hello"
    assert (figures["calls"], figures["memory_calls"], figures["cpu_calls"]) == (100, 100, 100)
    assert figures["mem_limit"] == 256 * MIB
    assert figures["peak_mem_usage"]["max"] == 40 * MIB
    assert figures["peak_mem_usage"]["p99"] == pytest.approx(10.3 * MIB, rel=0.01)
    assert figures["near_limit_calls"] == 0
    assert figures["peak_cpu_total"] == {"p95": pytest.approx(50, rel=0.01), "max": 50}
    assert (figures["cpu_saturated_calls"], figures["cpu_saturated"]) == (0, False)


def test_it_advises_the_largest_peak_plus_a_fifth_rounded_up_to_32_mib():
    advice = sizing.sizing("/hello", total([10] * 99 + [40]))["memory_advice"]
    assert advice == {"action": "lower", "memory_mib": 64, "text": "could run in 64 MiB"}
    assert sizing.fn_memory_mib(53.3 * MIB) == 64  # 63.96 MiB with headroom
    assert sizing.fn_memory_mib(53.4 * MIB) == 96  # 64.08 MiB
    assert sizing.fn_memory_mib(1) == 32


def test_it_keeps_a_limit_that_fits():
    advice = sizing.sizing("/hello", total([200] * 60))["memory_advice"]
    assert advice == {"action": "keep", "memory_mib": None, "text": "the limit fits"}


def test_it_gives_no_advice_under_50_calls_with_memory_figures():
    advice = sizing.sizing("/hello", total([10] * 49))["memory_advice"]
    assert advice == {"action": None, "memory_mib": None, "text": "needs 50 calls, has 49"}
    assert sizing.sizing("/hello", total([10] * 49))["cpu_saturated"] is None
    advice = sizing.sizing("/hello", total([10] * 60, limit_mib=None))["memory_advice"]
    assert advice["text"] == "no memory limit in the stats"


def test_it_says_raise_the_limit_when_calls_reach_90_percent_of_it():
    figures = sizing.sizing("/hello", total([100] * 57 + [232, 240, 256]))
    assert figures["near_limit_calls"] == 3
    assert figures["memory_advice"] == {
        "action": "raise",
        "memory_mib": 320,  # 256 MiB plus a fifth, rounded up
        "text": "raise the limit to at least 320 MiB",
    }
    # Whatever the peaks, raising means above the limit.
    assert sizing.advice(60, 1024 * MIB, 100 * MIB, 1)["memory_mib"] == 1056
    assert "above Fn's default maximum" in sizing.advice(60, 8192 * MIB, 8192 * MIB, 1)["text"]


def test_it_counts_at_90_percent_within_the_histograms_1_percent():
    # 89% and 91% are clear of 90% by more than the bins' 1%; only those above count.
    figures = sizing.sizing("/hello", total([88, 89, 91, 92], limit_mib=100))
    assert figures["near_limit_calls"] == 2


def test_it_finds_paths_whose_cpu_saturates_a_core():
    figures = sizing.sizing("/hello", total([10] * 60, cpu=97))
    assert (figures["cpu_saturated_calls"], figures["cpu_saturated"]) == (60, True)
