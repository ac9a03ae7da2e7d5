"""What the served OpenAPI schema says the API answers and accepts.

These serializers describe the JSON; they shape nothing (that is `Call.to_fn_json()`).
tests/api/test_schema.py checks on a live server that every answer matches them.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from calls.models import Call
from calls.outliers import SORTS
from calls.stats import MAX_METRIC


class StatSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    metrics = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_METRIC),
        help_text="cpu_user, cpu_kernel, cpu_total (percent, 100 = one core), mem_usage, "
        "mem_limit (bytes), net_rx, net_tx, disk_read, disk_write (cumulative bytes), "
        "and any other metric the sender reported.",
    )


class CallSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    app_name = serializers.CharField()
    path = serializers.CharField()
    completed_at = serializers.DateTimeField(help_text="0001-01-01T00:00:00.000Z if not set")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(help_text="0001-01-01T00:00:00.000Z if not set")
    stats = StatSerializer(
        many=True, required=False, help_text="At most 240 points; absent when empty"
    )
    error = serializers.CharField(required=False, help_text="absent when empty")


class CallsWrapper(serializers.Serializer):
    message = serializers.CharField()
    next_cursor = serializers.CharField(allow_blank=True, help_text='"" unless the page is full')
    calls = CallSerializer(many=True)


class CallWrapper(serializers.Serializer):
    message = serializers.CharField()
    call = CallSerializer()


class LogSerializer(serializers.Serializer):
    call_id = serializers.CharField()
    log = serializers.CharField(allow_blank=True)
    app_name = serializers.CharField()


class LogWrapper(serializers.Serializer):
    message = serializers.CharField()
    log = LogSerializer()


class AppSerializer(serializers.Serializer):
    name = serializers.CharField()


class AppsWrapper(serializers.Serializer):
    message = serializers.CharField()
    next_cursor = serializers.CharField(allow_blank=True)
    apps = AppSerializer(many=True)


class AppWrapper(serializers.Serializer):
    message = serializers.CharField()
    app = AppSerializer()


class CallSummaryWrapper(serializers.Serializer):
    message = serializers.CharField()
    call_id = serializers.CharField()
    summary = serializers.DictField(
        child=serializers.DictField(),
        help_text="Per metric: count, min, max, average, median, p95; counters also `rate` "
        "(the same over bytes per second) and `total`; mem_usage also `share_of_limit` (%).",
    )


class Percentiles(serializers.Serializer):
    p50 = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)


class DurationPercentiles(Percentiles):
    p99 = serializers.FloatField(allow_null=True)


class PathSummary(serializers.Serializer):
    path = serializers.CharField()
    calls = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    duration_seconds = DurationPercentiles()
    peak_mem_usage = Percentiles(help_text="bytes")


class AppStatsWrapper(serializers.Serializer):
    message = serializers.CharField()
    app_name = serializers.CharField()
    from_time = serializers.IntegerField(allow_null=True)
    to_time = serializers.IntegerField(allow_null=True)
    paths = PathSummary(many=True)


class ErrorBody(serializers.Serializer):
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorBody()


class IngestCallSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, help_text="made from created_at when absent")
    status = serializers.ChoiceField(choices=Call.Status.values)
    path = serializers.CharField(max_length=256)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(required=False)
    completed_at = serializers.DateTimeField(required=False)
    error = serializers.CharField(required=False, allow_blank=True)
    log = serializers.CharField(required=False, allow_blank=True)
    app_name = serializers.CharField(required=False, help_text="must equal the URL's app")
    stats = StatSerializer(many=True, required=False, help_text="any number of raw points")


class IngestRequest(serializers.Serializer):
    calls = IngestCallSerializer(many=True, help_text='or send one call as {"call": {...}}')


class IngestResult(serializers.Serializer):
    id = serializers.CharField()
    created = serializers.BooleanField()


class IngestWrapper(serializers.Serializer):
    message = serializers.CharField()
    calls = IngestResult(many=True)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Fn's error shape for each of these status codes."""
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


def fn_list_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
        OpenApiParameter("per_page", int, description="default 30, at most 100"),
    ]


def outlier_parameters() -> list[OpenApiParameter]:
    """fnweb's sort and filters of a calls list (calls.outliers), as the dashboard names them."""
    return [
        OpenApiParameter(
            "sort",
            str,
            enum=list(SORTS),
            description="fnweb: largest first by run time, peak memory or peak CPU (calls "
            "without that figure are left out); then `cursor` takes the sorted list's "
            "next_cursor, an opaque token, and refuses one of another sort",
        ),
        OpenApiParameter(
            "min_duration", str, description="fnweb: seconds (up to 6 decimals), run time >= it"
        ),
        OpenApiParameter(
            "max_duration", str, description="fnweb: seconds (up to 6 decimals), run time < it"
        ),
        OpenApiParameter(
            "min_mem_share", str, description="fnweb: percent, peak memory share of the limit >= it"
        ),
    ]


def register_token_scheme() -> None:
    """Tell drf-spectacular how TokenAuthentication is sent (`Authorization: Token <key>`);
    an extension registers itself when its class is made, so the class is made here."""

    class TokenScheme(OpenApiAuthenticationExtension):
        target_class = "calls.api.auth.TokenAuthentication"
        name = "tokenAuth"

        def get_security_definition(self, auto_schema):
            return {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <key>` or `Bearer <key>` (as the Fn CLI sends FN_TOKEN); "
                "make a key with `manage.py create_api_token NAME`",
            }
