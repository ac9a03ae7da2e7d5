"""GET /v1/apps/{app}/live (fnweb): what a calls list following new calls asks every few
seconds. Polled rather than streamed: gunicorn's gthread workers serve 8 requests at a time
each, and a server-sent event stream would hold one of those threads for as long as a tab
stays open. A poll costs two index reads whatever the size of the table: the calls after a
cursor (a range of the (app, id) or (app, path, id) index, at most LIVE_MAX + 1 rows) and the
watched calls by primary key (at most LIVE_MAX)."""

from django import forms
from django.db.models.functions import Substr
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from calls.api import schema
from calls.api.params import CallFilterQuery, text_field
from calls.api.views import require_app, requires_app_and_storable_text
from calls.ingest import CALL_ID
from calls.models import LIST_COLUMNS, Call
from calls.pages.paging import PER_PAGE
from calls.pages.views import ERROR_START

# Calls read after the cursor, and calls watched, per poll: a page of the dashboard's list.
LIVE_MAX = PER_PAGE


class LiveQuery(CallFilterQuery):
    after = text_field()
    watch = text_field()

    def clean_after(self) -> str:
        after = self.cleaned_data["after"]
        if after and not CALL_ID.fullmatch(after):
            raise forms.ValidationError("is not a call id")
        return after

    def clean_watch(self) -> list[str]:
        ids = self.cleaned_data["watch"].split(",") if self.cleaned_data["watch"] else []
        if not all(CALL_ID.fullmatch(call_id) for call_id in ids):
            raise forms.ValidationError("must be call ids separated by commas")
        if len(ids) > LIVE_MAX:
            raise forms.ValidationError(f"must name at most {LIVE_MAX} calls")
        return ids


def live_row(call: Call) -> dict:
    """A row of the calls list: Fn's JSON of the call without its stats, its error cut to the
    start the list shows (only that was read), and fnweb's peaks."""
    call.error = call.error_start
    return call.to_fn_json(with_stats=False) | {
        "peak_cpu_total": call.peak_cpu_total,
        "peak_mem_usage": call.peak_mem_usage,
    }


class LiveCallSerializer(schema.CallSerializer):
    stats = None
    error = serializers.CharField(
        required=False, help_text=f"its first {ERROR_START} characters; absent when empty"
    )
    peak_cpu_total = serializers.FloatField(allow_null=True, help_text="percent, 100 = one core")
    peak_mem_usage = serializers.FloatField(allow_null=True, help_text="bytes")


class LiveWrapper(serializers.Serializer):
    message = serializers.CharField()
    next_after = serializers.CharField(allow_blank=True, help_text="`after` of the next poll")
    more = serializers.BooleanField(
        help_text=f"more than {LIVE_MAX} calls came after `after`: the older ones were skipped,"
        " so reload the list"
    )
    calls = LiveCallSerializer(
        many=True, help_text="the new calls matching the filters, newest first"
    )
    watched = LiveCallSerializer(many=True, help_text="the watched calls as they are now")


@extend_schema(
    operation_id="GetAppsAppLive",
    summary="The calls after a cursor, and watched calls as they are now (fnweb)",
    description=f"For following new calls: poll with `after` set to the last `next_after`,"
    f" and `watch` naming the unfinished calls shown, to see them finish. Each poll reads at"
    f" most {LIVE_MAX} calls after the cursor, newest first (those not matching `path` and"
    f" `status` are passed over, and the cursor moves past them), and {LIVE_MAX} watched calls.",
    parameters=[
        OpenApiParameter("after", str, description="a call id; empty: every call is new"),
        OpenApiParameter(
            "watch", str, description=f"call ids separated by commas, at most {LIVE_MAX}"
        ),
        OpenApiParameter("path", str, description="route path, exact match"),
        OpenApiParameter("status", str, description="as the calls list's: one, several, or failed"),
    ],
    responses={200: LiveWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@requires_app_and_storable_text
def live_calls(request, app: str) -> Response:
    query = LiveQuery.read(request.query_params)
    columns = Call.objects.only(*LIST_COLUMNS).annotate(error_start=Substr("error", 1, ERROR_START))
    after = columns.matching(app, query["path"]).newest_first()
    if query["after"]:
        after = after.filter(id__gt=query["after"])
    # Statuses are picked from the rows read, so that a rare one never makes a poll read on
    # through the calls of the others.
    read = list(after[: LIVE_MAX + 1])
    new = [
        call for call in read[:LIVE_MAX] if call.status in query["status"] or not query["status"]
    ]
    watched = list(columns.filter(app_id=app, pk__in=query["watch"]).order_by("-id"))
    if not read and not watched:
        require_app(app)
    return Response(
        {
            "message": "Successfully listed live calls",
            "next_after": read[0].id if read else query["after"],
            "more": len(read) > LIVE_MAX,
            "calls": [live_row(call) for call in new],
            "watched": [live_row(call) for call in watched],
        }
    )
