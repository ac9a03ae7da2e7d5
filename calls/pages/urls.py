"""The dashboard's pages. App names and call ids match anything but a slash; text that no
database can compare (calls.text) matches nothing, so odd names reach a 404, never a 500."""

from django.urls import path, register_converter

from calls.pages import trends, views
from calls.text import unstorable


class NameConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        if unstorable(value):
            raise ValueError(value)  # no match: a 404
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NameConverter, "name")

urlpatterns = [
    path("", views.apps_overview, name="apps_overview"),
    path("apps/<name:app>/calls/", views.calls_list, name="calls_list"),
    path("apps/<name:app>/calls/<name:call_id>/", views.call_detail, name="call_detail"),
    path(
        "apps/<name:app>/calls/<name:call_id>/stats.json",
        views.call_stats_json,
        name="call_stats_json",
    ),
    path(
        "apps/<name:app>/calls/<name:call_id>/stats.csv",
        views.call_stats_csv,
        name="call_stats_csv",
    ),
    path("apps/<name:app>/calls/<name:call_id>/log.txt", views.call_log_txt, name="call_log_txt"),
    path("apps/<name:app>/compare/", views.compare, name="compare"),
    path("apps/<name:app>/trends/", trends.app_trends, name="app_trends"),
]
