"""The /v1 routes. `[^/]*` lets an empty app name reach the views, which answer it as Fn did
(400 "Missing app name") instead of a bare 404."""

from django.urls import re_path

from calls import api

APP = r"(?P<app>[^/]*)"
CALL = r"(?P<call>[^/]+)"

urlpatterns = [
    re_path(r"^apps$", api.apps, name="api_apps"),
    re_path(rf"^apps/{APP}$", api.app_detail, name="api_app"),
    re_path(rf"^apps/{APP}/stats$", api.app_stats, name="api_app_stats"),
    re_path(rf"^apps/{APP}/calls$", api.calls, name="api_calls"),
    re_path(rf"^apps/{APP}/calls/{CALL}$", api.call_detail, name="api_call"),
    re_path(rf"^apps/{APP}/calls/{CALL}/log$", api.call_log, name="api_call_log"),
    re_path(rf"^apps/{APP}/calls/{CALL}/stats$", api.call_stats, name="api_call_stats"),
    # Anything else under /v1 answers like Fn, in JSON, whatever DEBUG says.
    re_path(r"", api.path_not_found),
]
