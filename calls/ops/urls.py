"""For the operator's stack: probes and Prometheus."""

from django.urls import path

from calls.ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.scrape, name="metrics"),
]
