"""GET /v1/apps/{app}/sizing (fnweb): each path's memory limit against its peaks, with advice,
and its peak CPU against a core, over a window, from rollups (calls.sizing)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from calls import sizing
from calls.api import schema
from calls.api.trends import WINDOW_PARAMETERS, TrendsQuery
from calls.api.views import require_app, requires_app_and_storable_text
from calls.reports import path_totals


class PeakMemory(serializers.Serializer):
    p99 = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class PeakCpu(serializers.Serializer):
    p95 = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class MemoryAdvice(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["raise", "lower", "keep"], allow_null=True, help_text="null: no advice"
    )
    memory_mib = serializers.IntegerField(allow_null=True, help_text="for raise and lower")
    text = serializers.CharField()


class PathSizing(serializers.Serializer):
    path = serializers.CharField()
    calls = serializers.IntegerField(help_text="finished calls")
    memory_calls = serializers.IntegerField(help_text="those with a peak memory figure")
    mem_limit = serializers.FloatField(allow_null=True, help_text="the largest, bytes")
    peak_mem_usage = PeakMemory(help_text="bytes")
    near_limit_calls = serializers.IntegerField(
        help_text=f"calls whose peak reached {sizing.NEAR_LIMIT}% of their limit (within 1%)"
    )
    memory_advice = MemoryAdvice()
    cpu_calls = serializers.IntegerField(help_text="those with a peak CPU figure")
    peak_cpu_total = PeakCpu(help_text="percent, 100 = one core")
    cpu_saturated_calls = serializers.IntegerField(
        help_text=f"calls whose peak reached {sizing.SATURATED}% of a core (within 1%)"
    )
    cpu_saturated = serializers.BooleanField(
        allow_null=True, help_text=f"p95 at {sizing.SATURATED}% or more; null under 50 calls"
    )


class SizingWrapper(serializers.Serializer):
    message = serializers.CharField()
    app_name = serializers.CharField()
    from_time = serializers.IntegerField()
    to_time = serializers.IntegerField()
    paths = PathSizing(many=True)


@extend_schema(
    operation_id="GetAppsAppSizing",
    summary="Right-sizing per path: memory limit against peak memory, and peak CPU (fnweb)",
    description=f"From rollups over the window. Memory advice: the largest peak plus"
    f" {sizing.HEADROOM}%, rounded up to a multiple of {sizing.ROUND_MIB} MiB; none under"
    f" {sizing.MIN_CALLS} calls with memory figures; `raise` when calls reached"
    f" {sizing.NEAR_LIMIT}% of their limit.",
    parameters=WINDOW_PARAMETERS,
    responses={200: SizingWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@requires_app_and_storable_text
def app_sizing(request, app: str) -> Response:
    require_app(app)
    query = TrendsQuery.read(request.query_params)
    since, until = query["from_time"], query["to_time"]
    totals = path_totals(app, since, until, sizing.SKETCHES, query["path"])
    return Response(
        {
            "message": "Successfully computed app sizing",
            "app_name": app,
            "from_time": int(since.timestamp()),
            "to_time": int(until.timestamp()),
            "paths": [sizing.sizing(path, total) for path, total in sorted(totals.items())],
        }
    )
