"""Right-sizing: what a path's calls over a window say about its memory limit and its CPU,
from its merged rollups (reports.path_totals: at most weeks + 176 rows a path), never from the
calls.

The memory advice is the largest peak seen plus HEADROOM, rounded up to a multiple of
ROUND_MIB: Fn takes a function's memory as a whole number of MB (its container's limit is
that many MiB), from 1 to 8192 by default, so every advice is a size Fn accepts at its
defaults. No advice rests on fewer than MIN_CALLS calls with memory figures (AWS Compute
Optimizer's rule); calls that came within NEAR_LIMIT percent of their limit turn it into
"raise the limit", since a call killed at its limit never shows how much more it wanted.
Counts at or above a share come from the histograms' bins, so they are right to within
sketch.RELATIVE_ACCURACY (1%) of the threshold: a call at 89.5% or 90.5% may fall either side.
No Django here: rollup totals in, figures and advice out.
"""

import math

from calls import sketch
from calls.rollups import Partial
from calls.stats import MIB
from calls.trends import capped

MIN_CALLS = 50
HEADROOM = 20  # percent above the largest peak
ROUND_MIB = 32
FN_MAX_MEMORY_MIB = 8192  # Fn's MaxMemory, unless its server was configured otherwise
NEAR_LIMIT = 90  # percent of the memory limit
# The rollups' histograms sizing reads (durations are not among them).
SKETCHES = ("peak_mem", "mem_share", "peak_cpu")
SATURATED = 90  # peak CPU, percent: 100 = one core


def at_least(histogram: sketch.Sketch, threshold: float) -> int:
    """How many values fall in bins that stand for `threshold` or more (within 1%)."""
    return sum(
        n
        for key, n in histogram.items()
        if key != sketch.ZERO and sketch.value_of(key) >= threshold
    )


def fn_memory_mib(peak_bytes: float) -> int:
    """The size to advise for calls peaking at `peak_bytes`: with headroom, rounded up."""
    return ROUND_MIB * math.ceil(peak_bytes * (100 + HEADROOM) / 100 / MIB / ROUND_MIB)


def advice(calls: int, limit: float | None, peak: float | None, near_limit: int) -> dict:
    """{"action": ..., "memory_mib": ..., "text": ...}: what to do with the memory limit."""
    if calls < MIN_CALLS:
        return {"action": None, "memory_mib": None, "text": f"needs {MIN_CALLS} calls, has {calls}"}
    if limit is None or peak is None:
        return {"action": None, "memory_mib": None, "text": "no memory limit in the stats"}
    size = fn_memory_mib(peak)
    if near_limit:
        size = max(size, ROUND_MIB * (math.ceil(limit / MIB / ROUND_MIB) + 1))
        text = f"raise the limit to at least {size:,} MiB"
        if size > FN_MAX_MEMORY_MIB:
            text += f" (above Fn's default maximum, {FN_MAX_MEMORY_MIB} MiB)"
        return {"action": "raise", "memory_mib": size, "text": text}
    if size * MIB < limit:
        return {"action": "lower", "memory_mib": size, "text": f"could run in {size:,} MiB"}
    return {"action": "keep", "memory_mib": None, "text": "the limit fits"}


def sizing(path: str, total: Partial) -> dict:
    """A path's memory limit against its peaks, with advice, and its peak CPU against a core."""
    peak_mem = total.sketches["peak_mem"]
    calls = sketch.count(peak_mem)
    limit, peak = total.peaks["max_mem_limit"], total.peaks["max_peak_mem"]
    near_limit = at_least(total.sketches["mem_share"], NEAR_LIMIT)
    cpu = total.sketches["peak_cpu"]
    max_cpu = total.peaks["max_peak_cpu"]
    p95_cpu = capped(sketch.percentiles(cpu, (95,))["p95"], max_cpu)
    return {
        "path": path,
        "calls": sum(total.counts.values()),
        "memory_calls": calls,
        "mem_limit": limit,
        "peak_mem_usage": {
            "p99": capped(sketch.percentiles(peak_mem, (99,))["p99"], peak),
            "max": peak,
        },
        "near_limit_calls": near_limit,
        "memory_advice": advice(calls, limit, peak, near_limit),
        "cpu_calls": sketch.count(cpu),
        "peak_cpu_total": {"p95": p95_cpu, "max": max_cpu},
        "cpu_saturated_calls": at_least(cpu, SATURATED),
        # One call in 20 or more used a whole core at its busiest: CPU, not memory, bounds it.
        "cpu_saturated": None if sketch.count(cpu) < MIN_CALLS else p95_cpu >= SATURATED,
    }
