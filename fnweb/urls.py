from django.contrib import admin
from django.urls import include, path

from calls import views

urlpatterns = [
    path("", views.apps_overview, name="apps_overview"),
    path("admin/", admin.site.urls),
    path("v1/", include("calls.api_urls")),
]
