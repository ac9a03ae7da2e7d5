from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from calls import ops

urlpatterns = [
    path("admin/", admin.site.urls),
    # For the operator's stack (calls/ops.py): probes and Prometheus.
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.scrape, name="metrics"),
    path("v1/", include("calls.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its script as a file: the Content Security Policy refuses inline ones.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # The dashboard's pages (calls/urls.py).
    path("", include("calls.urls")),
]
