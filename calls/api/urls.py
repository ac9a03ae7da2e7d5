"""The /v1 routes. `[^/]*` lets an empty app name reach the views, which answer it as Fn did
(400 "Missing app name") instead of a bare 404."""

from django.urls import re_path

from calls.api import live, sizing, trends, views
from calls.api.errors import path_not_found

APP = r"(?P<app>[^/]*)"
CALL = r"(?P<call>[^/]+)"

urlpatterns = [
    re_path(r"^apps$", views.apps, name="api_apps"),
    re_path(rf"^apps/{APP}$", views.app_detail, name="api_app"),
    re_path(rf"^apps/{APP}/stats$", views.app_stats, name="api_app_stats"),
    re_path(rf"^apps/{APP}/trends$", trends.app_trends, name="api_app_trends"),
    re_path(rf"^apps/{APP}/sizing$", sizing.app_sizing, name="api_app_sizing"),
    re_path(rf"^apps/{APP}/live$", live.live_calls, name="api_live_calls"),
    re_path(rf"^apps/{APP}/calls$", views.calls, name="api_calls"),
    re_path(rf"^apps/{APP}/calls/{CALL}$", views.call_detail, name="api_call"),
    re_path(rf"^apps/{APP}/calls/{CALL}/log$", views.call_log, name="api_call_log"),
    re_path(rf"^apps/{APP}/calls/{CALL}/stats$", views.call_stats, name="api_call_stats"),
    # Anything else under /v1 answers like Fn, in JSON, whatever DEBUG says.
    re_path(r"", path_not_found),
]
