"""GET /v1/apps/{app}/trends (fnweb): an app's or a path's finished calls as series over time,
from rollups, so a 30-day window costs what an hour costs."""

from django import forms
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from calls.api import schema
from calls.api.params import TimeWindowQuery, text_field
from calls.api.views import require_app, requires_app_and_storable_text
from calls.trends import DEFAULT_WINDOW, MAX_WINDOW, WINDOWS, preset_since, trends


class TrendsQuery(TimeWindowQuery):
    path = text_field()
    window = text_field()

    def clean_window(self) -> str:
        window = self.cleaned_data["window"] or DEFAULT_WINDOW
        if window not in WINDOWS:
            raise forms.ValidationError(f"must be one of {', '.join(WINDOWS)}")
        return window

    def clean(self) -> dict:
        """from_time defaults to `window` before to_time, from the start of its first bucket
        (calls.trends.preset_since); to_time to now."""
        data = super().clean()
        if self.errors:
            return data
        until = data["to_time"] or timezone.now()
        since = data["from_time"] or preset_since(data["window"], until)
        if since >= until:
            self.add_error("from_time", "must be before to_time")
        elif until - since > MAX_WINDOW:
            self.add_error("from_time", f"must be at most {MAX_WINDOW.days} days before to_time")
        return data | {"from_time": since, "to_time": until}


# What TrendsQuery reads, for the schema of each endpoint that reads it.
WINDOW_PARAMETERS = [
    OpenApiParameter("path", str, description="one path; empty: every path of the app"),
    OpenApiParameter(
        "window",
        str,
        enum=list(WINDOWS),
        description="default 24h; starts at its first bucket (30d: midnight UTC)",
    ),
    OpenApiParameter("from_time", int, description="Unix seconds; default: the window's start"),
    OpenApiParameter("to_time", int, description="Unix seconds; default: now"),
]


class Spread(schema.Percentiles):
    max = serializers.FloatField(allow_null=True)


class DurationSpread(Spread):
    p99 = serializers.FloatField(allow_null=True)


class TrendBucket(serializers.Serializer):
    start = serializers.DateTimeField()
    calls = serializers.IntegerField(help_text="finished calls created in the bucket")
    by_status = serializers.DictField(child=serializers.IntegerField())
    failed_share = serializers.FloatField(allow_null=True, help_text="error or timeout")
    duration_seconds = DurationSpread()
    peak_mem_usage = Spread(help_text="bytes")
    mem_limit = serializers.FloatField(allow_null=True, help_text="the largest, bytes")
    mem_share_percent = schema.Percentiles(help_text="peak memory, percent of the limit")
    peak_cpu_total = Spread()


class TrendsWrapper(serializers.Serializer):
    message = serializers.CharField()
    app_name = serializers.CharField()
    path = serializers.CharField(allow_blank=True)
    from_time = serializers.IntegerField()
    to_time = serializers.IntegerField()
    step_seconds = serializers.IntegerField(help_text="60, 3600 or 86400, from the window")
    buckets = TrendBucket(many=True)


@extend_schema(
    operation_id="GetAppsAppTrends",
    summary="Series of finished calls per bucket, from rollups (fnweb)",
    description="Percentiles are within 1% of the exact ones (log-scale histograms). The step"
    " is a minute up to 6 hours, an hour up to 15 days, a day beyond; at most 400 buckets.",
    parameters=WINDOW_PARAMETERS,
    responses={200: TrendsWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@requires_app_and_storable_text
def app_trends(request, app: str) -> Response:
    require_app(app)
    query = TrendsQuery.read(request.query_params)
    since, until = query["from_time"], query["to_time"]
    return Response(
        {
            "message": "Successfully computed app trends",
            "app_name": app,
            "path": query["path"],
            "from_time": int(since.timestamp()),
            "to_time": int(until.timestamp()),
            **trends(app, query["path"], since, until),
        }
    )
