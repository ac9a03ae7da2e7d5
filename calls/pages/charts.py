"""What the call and compare pages chart and tabulate: which metrics, grouped how, in which
unit. Every number comes from `calls.stats`: a chart plots `series()` (or `counter_rates()`
for the counters, which only grow) and its table describes exactly those values with
`summarize()`. Values are scaled to the display unit here, once, so a tooltip and the table
under its chart print the same figure.
"""

from dataclasses import dataclass
from datetime import datetime

from calls.fntime import NS_PER_SECOND, to_ns
from calls.stats import MIB, Point, counter_rates, series, summarize

KIB = 1024
FIGURES = ("min", "max", "average", "median", "p95")


@dataclass(frozen=True)
class Group:
    """One chart: metrics (key, label) that share a unit, `scale` of them making one unit."""

    id: str
    title: str
    unit: str
    scale: int
    metrics: tuple[tuple[str, str], ...]
    # Counters (bytes so far) are drawn and summarized as bytes per second.
    rates: bool = False
    # What the unit means, where it is not obvious.
    note: str = ""


GROUPS = (
    Group(
        "cpu",
        "CPU",
        "%",
        1,
        (("cpu_total", "total"), ("cpu_user", "user"), ("cpu_kernel", "kernel")),
        note="100 % = 1 core",
    ),
    Group("memory", "Memory", "MiB", MIB, (("mem_usage", "usage"), ("mem_limit", "limit"))),
    Group("network", "Network", "KiB/s", KIB, (("net_rx", "received"), ("net_tx", "sent")), True),
    Group("disk", "Disk", "KiB/s", KIB, (("disk_read", "read"), ("disk_write", "written")), True),
)
# mem_limit is a ceiling, not a measurement: drawn dashed.
MEM_LIMIT = "mem_limit"
# Compared one metric at a time; user and kernel CPU are parts of the total.
COMPARED = ("cpu_total", "mem_usage", "net_rx", "net_tx", "disk_read", "disk_write")
# Compared calls are named by letter in legends and tables; their ids are long and alike.
LETTERS = "ABCD"


def origin_ns(points: list[Point], started_at: datetime | None) -> int:
    """Time zero of the x-axis: the call's start, or its first point if that came earlier
    (samplers round down to whole seconds) or the call never started."""
    first = points[0][0] if points else 0
    if started_at is None:
        return first
    started = to_ns(started_at)
    return min(started, first) if points else started


def line(points: list[Point], key: str, group: Group, zero: int) -> list[list[float]]:
    """[seconds since zero, value in the group's unit] per point."""
    values = counter_rates(points, key) if group.rates else series(points, key)
    scale = group.scale
    return [[(ns - zero) / NS_PER_SECOND, value / scale] for ns, value in values]


def figures(summary: dict, key: str, group: Group) -> dict[str, float] | None:
    """min, max, average, median and p95 of what `line` draws, or None without points."""
    described = summary.get(key, {})
    if group.rates and described:
        described = described["rate"]
    if not described.get("count"):
        return None
    return {name: described[name] / group.scale for name in FIGURES}


def call_charts(points: list[Point], started_at: datetime | None) -> list[dict]:
    """The call page's four charts, each with a table row per metric."""
    zero = origin_ns(points, started_at)
    summary = summarize(points)
    charts = []
    for group in GROUPS:
        present = [(key, label) for key, label in group.metrics if key in summary]
        lines = {key: line(points, key, group, zero) for key, _ in present}
        datasets = [dataset(label, lines[key], dashed=key == MEM_LIMIT) for key, label in present]
        rows = [
            table_row(label, group.unit, figures(summary, key, group), lines[key])
            for key, label in present
        ]
        share = summary.get("mem_usage", {}).get("share_of_limit", {})
        if group.id == "memory" and share.get("count"):
            share_figures = {name: share[name] for name in FIGURES}
            rows.append({"label": "usage / limit", "unit": "%", "figures": share_figures})
        charts.append(chart(group.id, group.title, group, datasets, rows))
    return charts


def compare_charts(calls: list, points_by_call: dict[str, list[Point]]) -> list[dict]:
    """One chart per metric with a line and a table row per call, in the order given."""
    summaries = {call.id: summarize(points_by_call[call.id]) for call in calls}
    charts = []
    for group in GROUPS:
        for key, label in group.metrics:
            if key not in COMPARED:
                continue
            datasets, rows = [], []
            for letter, call in zip(LETTERS, calls, strict=False):
                points = points_by_call[call.id]
                drawn = line(points, key, group, zero=origin_ns(points, call.started_at))
                datasets.append(dataset(letter, drawn, call_id=call.id))
                row_figures = figures(summaries[call.id], key, group)
                row = table_row(letter, group.unit, row_figures, drawn)
                rows.append(row | {"call_id": call.id})
            title = f"{group.title} {label}"
            charts.append(chart(f"{group.id}-{key}", title, group, datasets, rows))
    return charts


def dataset(label: str, data: list, dashed: bool = False, call_id: str = "") -> dict:
    """One line of a chart; a lone sample says so in the legend, beside its dot."""
    suffix = " (one sample)" if len(data) == 1 else ""
    return {"label": label + suffix, "data": data, "dashed": dashed, "call_id": call_id}


def table_row(label: str, unit: str, row_figures: dict | None, drawn: list) -> dict:
    """A table row describing what its line draws: one sample has no spread to speak of."""
    note = "one sample" if len(drawn) == 1 else ""
    return {"label": label, "unit": unit, "figures": row_figures, "note": note}


def chart(chart_id: str, title: str, group: Group, datasets: list, rows: list) -> dict:
    return {
        "id": chart_id,
        "title": title,
        "unit": group.unit,
        "note": group.note,
        "rates": group.rates,
        "datasets": datasets,
        "rows": rows,
    }
