from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from calls import views

urlpatterns = [
    path("", views.apps_overview, name="apps_overview"),
    path("admin/", admin.site.urls),
    path("v1/", include("calls.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
