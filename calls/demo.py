"""Demo calls with realistic histograms, for `seed_demo`, the browser tests and benchmarks."""

import random
from datetime import datetime, timedelta

from calls.fntime import NS_PER_SECOND, to_ns
from calls.ids import new_id
from calls.models import Call, CallLog
from calls.reduction import reduce_points
from calls.stats import MIB, Point

# app -> path -> (typical seconds, longest seconds, memory limit MiB, working set MiB, cpu %)
PROFILES = {
    "shop": {
        "/checkout": (2, 30, 256, 90, 35),
        "/cart": (1, 10, 128, 40, 15),
        "/recommend": (6, 60, 512, 300, 80),
    },
    "media": {
        "/thumbnail": (4, 45, 512, 220, 95),
        "/transcode": (400, 3600, 1024, 700, 180),
    },
    "reports": {
        "/nightly-export": (900, 3600, 512, 260, 45),
        "/invoice-pdf": (3, 40, 256, 120, 60),
    },
}

ERRORS = [
    "container exited with code 1",
    "error calling function: unexpected EOF",
    "out of memory: container exceeded its memory limit",
    "upstream returned 502 Bad Gateway",
]


def demo_call(rng: random.Random, now: datetime) -> tuple[Call, CallLog]:
    app = rng.choice(list(PROFILES))
    path = rng.choice(list(PROFILES[app]))
    typical, longest, limit_mib, working_mib, cpu = PROFILES[app][path]
    seconds = max(1, min(longest, int(rng.lognormvariate(0, 0.8) * typical)))

    roll = rng.random()
    status, error = Call.Status.SUCCESS, ""
    leaks = False
    if roll < 0.05:
        status, error, seconds = Call.Status.TIMEOUT, "", longest
    elif roll < 0.15:
        status, error = Call.Status.ERROR, rng.choice(ERRORS)
        leaks = error.startswith("out of memory")

    created = now - timedelta(seconds=rng.uniform(60, 24 * 3600))
    started = created + timedelta(milliseconds=rng.uniform(5, 800))
    completed = started + timedelta(seconds=seconds, milliseconds=rng.uniform(0, 999))
    call = Call(
        id=new_id(at=created),
        app_id=app,
        path=path,
        status=status,
        created_at=created,
        started_at=started,
        completed_at=completed,
        error=error,
    )
    start_ns = to_ns(started) // NS_PER_SECOND * NS_PER_SECOND
    points = histogram(rng, start_ns, seconds, limit_mib * MIB, working_mib * MIB, cpu, leaks)
    call.set_stats(reduce_points(points))
    log = CallLog(call=call, text=demo_log(path, status, error, seconds))
    return call, log


def histogram(
    rng: random.Random,
    start_ns: int,
    seconds: int,
    limit: int,
    working_set: int,
    cpu: int,
    leaks: bool,
) -> list[Point]:
    """One point a second: a cold-start CPU burst, memory climbing to its working set (or,
    for a leak, to the limit), and network and disk counters that only grow."""
    points = []
    memory = 12 * MIB
    counters = dict.fromkeys(("net_rx", "net_tx", "disk_read", "disk_write"), 0)
    for second in range(seconds):
        burst = second < 3
        total = int(max(0, rng.gauss(170 if burst else cpu, 12 if burst else cpu * 0.25)))
        user = int(total * rng.uniform(0.6, 0.85))
        target = limit if leaks else working_set
        memory += (target - memory) * (0.5 if leaks else 0.2) + rng.gauss(0, 2 * MIB)
        memory = int(min(limit, max(8 * MIB, memory)))
        counters["net_rx"] += int(rng.expovariate(1 / 60_000))
        counters["net_tx"] += int(rng.expovariate(1 / 20_000))
        counters["disk_read"] += int(rng.expovariate(1 / (400_000 if burst else 20_000)))
        counters["disk_write"] += int(rng.expovariate(1 / 30_000))
        metrics = {
            "cpu_total": total,
            "cpu_user": user,
            "cpu_kernel": total - user,
            "mem_usage": memory,
            "mem_limit": limit,
            **counters,
        }
        points.append((start_ns + second * NS_PER_SECOND, metrics))
    return points


def demo_log(path: str, status: str, error: str, seconds: int) -> str:
    lines = [f"handling {path}", "loaded configuration", f"working for {seconds}s"]
    if status == Call.Status.SUCCESS:
        lines.append("done")
    elif status == Call.Status.TIMEOUT:
        lines.append("still working when the call timed out")
    else:
        lines.append(f"fatal: {error}")
    return "\n".join(lines) + "\n"
