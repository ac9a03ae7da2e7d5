"""The trends page: an app's or a path's finished calls over a window, from rollups, as charts
(static/js/trends.js) over tables that hold every figure without JavaScript; a duration
heatmap whose cells link to their calls, and the paths' right-sizing."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from calls import sizing
from calls.heatmap import heatmap
from calls.models import App
from calls.pages.forms import DateTimeLocalInput
from calls.pages.views import requires_read_access
from calls.reports import path_totals
from calls.rollups import DAY
from calls.sketch import Sketch
from calls.trends import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    WINDOWS,
    preset_since,
    rollup_buckets,
    series,
)

STEP_NAMES = {60: "minute", 3600: "hour", 86400: "day"}
# The charts static/js/trends.js draws, by the id of their canvas.
CHART_TITLES = [
    ("calls", "Calls by status"),
    ("failed", "Failed (error or timeout), %"),
    ("duration", "Duration, s"),
    ("memory", "Peak memory, MiB"),
    ("cpu", "Peak CPU"),
]


class TrendsForm(forms.Form):
    path = forms.ChoiceField(required=False)
    window = forms.ChoiceField(required=False, choices=[(name, name) for name in WINDOWS])
    since = forms.DateTimeField(required=False, label="From", widget=DateTimeLocalInput())
    until = forms.DateTimeField(required=False, label="To", widget=DateTimeLocalInput())

    def __init__(self, data, paths: list[str]):
        super().__init__(data)
        self.fields["path"].choices = [("", "all"), *((path, path) for path in paths)]

    def clean(self) -> dict:
        """From and To win over the window, which reaches back from To (default now) to the
        start of its charts' first bucket (calls.trends.preset_since)."""
        data = super().clean()
        until = data.get("until") or timezone.now()
        since = data.get("since") or preset_since(data.get("window") or DEFAULT_WINDOW, until)
        if since >= until:
            raise forms.ValidationError("“From” must be earlier than “To”.")
        if until - since > MAX_WINDOW or since.year < 1970:
            raise forms.ValidationError(f"A span is at most {MAX_WINDOW.days} days, from 1970.")
        return data | {"since": since, "until": until}


def calls_query(path: str, since: datetime, step: int) -> str:
    """The calls list's filters for the calls of one bucket: its creation times, to the minute
    as the list's filters take them (UTC), and the path."""
    until = since + timedelta(seconds=step)
    times = {"since": f"{since:%Y-%m-%dT%H:%M}", "until": f"{until:%Y-%m-%dT%H:%M}"}
    return urlencode({"path": path, **times} if path else times)


# A heatmap cell, written here rather than in the template: a 6-hour window has 360 columns,
# and thousands of cells through the template language took most of the page's time.
CELL = '<td class="heat-{}"><a href="{}" aria-label="{}" title="{}"></a></td>'
EMPTY_CELL = "<td></td>"


def heatmap_rows(buckets: list[dict], durations: list[Sketch], step: int, url: str) -> list[dict]:
    """The heatmap's rows: each a label and its cells' HTML. A cell with calls is coloured by
    their number and links to exactly them in the calls list at `url` (its bucket's creation
    times and its row's durations), named for a screen reader and a tooltip."""
    spans = [span(bucket, step) for bucket in buckets]
    rows = []
    for row in heatmap(durations):
        bounds = {"min_duration": row.min_duration, "sort": "duration"}
        if row.max_duration:
            bounds["max_duration"] = row.max_duration
        durations_query = urlencode(bounds)
        cells = []
        for bucket, when, n, level in zip(buckets, spans, row.calls, row.levels, strict=True):
            if not n:
                cells.append(EMPTY_CELL)
                continue
            name = escape(f"{n:,} call{'s' * (n != 1)}, {row.label}, {when}")
            link = escape(f"{url}?{bucket['calls_query']}&{durations_query}")
            cells.append(CELL.format(level, link, name, name))
        # Safe: the level is a number, the name and the link were escaped.
        rows.append({"label": row.label, "cells": mark_safe("".join(cells))})
    return rows


def column_label(start: datetime, step: int, first: bool) -> str:
    """A heatmap column's heading: its time, with the date on the first and at midnight."""
    if step == DAY:
        return f"{start:%m-%d}"
    return f"{start:%m-%d %H:%M}" if first or not start.hour + start.minute else f"{start:%H:%M}"


def span(bucket: dict, step: int) -> str:
    """A bucket's times, as a heatmap cell's name says them."""
    start = bucket["from"]
    if step == DAY:
        return f"{start:%Y-%m-%d}"
    return f"{start:%Y-%m-%d %H:%M}–{start + timedelta(seconds=step):%H:%M}"


@requires_read_access
def app_trends(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    paths = list(app_obj.paths.order_by("path").values_list("path", flat=True))
    form = TrendsForm(request.GET, paths)
    context = {"app": app_obj, "form": form, "windows": WINDOWS}
    if not form.is_valid():
        return render(request, "trends.html", context, status=400)
    wanted = form.cleaned_data
    path, since, until = wanted["path"], wanted["since"], wanted["until"]
    step, totals = rollup_buckets(app_obj.name, path, since, until)
    trend = series(step, totals)
    # The buckets come in the order of totals' starts: no need to parse back their text.
    for i, (start, bucket) in enumerate(zip(totals, trend["buckets"], strict=True)):
        bucket["from"] = start
        bucket["calls_query"] = calls_query(path, bucket["from"], step)
        bucket["heat_label"] = column_label(bucket["from"], step, first=not i)
    durations = [total.sketches["duration"] for total in totals.values()]
    context |= {
        "series": trend,
        "path": path,
        "window": "" if request.GET.get("since") else wanted["window"] or DEFAULT_WINDOW,
        "since": since,
        "until": until,
        "has_calls": any(bucket["calls"] for bucket in trend["buckets"]),
        "chart_titles": CHART_TITLES,
        "step_name": STEP_NAMES[step],
        "heatmap": heatmap_rows(
            trend["buckets"], durations, step, reverse("calls_list", args=[app_obj.name])
        ),
        "sizing": [
            sizing.sizing(name, total)
            for name, total in sorted(
                path_totals(app_obj.name, since, until, sizing.SKETCHES, path).items()
            )
        ],
        "sizing_rules": sizing,
    }
    return render(request, "trends.html", context)
