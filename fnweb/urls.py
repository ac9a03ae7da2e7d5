from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from calls.ops.views import version

# Errors outside the API's views: Fn's shape under /v1/, a plain page elsewhere.
handler500 = "calls.ops.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("calls.ops.urls")),
    # Where Fn's server has it, outside /v1.
    path("version", version, name="version"),
    path("v1/", include("calls.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its script as a file: the Content Security Policy refuses inline ones.
    # GET and HEAD only: DRF's OPTIONS answer would need a template the page does not have.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api_schema", http_method_names=["get", "head"]
        ),
        name="api_docs",
    ),
    path("", include("calls.pages.urls")),
]
