"""The trends page: an app's or a path's finished calls over a window, from rollups, as charts
(static/js/trends.js) over tables that hold every figure without JavaScript."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from calls.models import App
from calls.pages.forms import DateTimeLocalInput
from calls.pages.views import requires_read_access
from calls.trends import DEFAULT_WINDOW, MAX_WINDOW, WINDOWS, trends

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
        """From and To win over the window, which reaches back from To (default now)."""
        data = super().clean()
        until = data.get("until") or timezone.now()
        since = data.get("since") or until - WINDOWS[data.get("window") or DEFAULT_WINDOW]
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


@requires_read_access
def app_trends(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    paths = list(app_obj.paths.order_by("path").values_list("path", flat=True))
    form = TrendsForm(request.GET, paths)
    context = {"app": app_obj, "form": form, "windows": WINDOWS}
    if not form.is_valid():
        return render(request, "trends.html", context, status=400)
    wanted = form.cleaned_data
    series = trends(app_obj.name, wanted["path"], wanted["since"], wanted["until"])
    for bucket in series["buckets"]:
        bucket["from"] = datetime.fromisoformat(bucket["start"]).astimezone(UTC)
        bucket["calls_query"] = calls_query(wanted["path"], bucket["from"], series["step_seconds"])
    context |= {
        "series": series,
        "path": wanted["path"],
        "window": "" if request.GET.get("since") else wanted["window"] or DEFAULT_WINDOW,
        "since": wanted["since"],
        "until": wanted["until"],
        "has_calls": any(bucket["calls"] for bucket in series["buckets"]),
        "chart_titles": CHART_TITLES,
        "step_name": STEP_NAMES[series["step_seconds"]],
    }
    return render(request, "trends.html", context)
