from django.contrib import admin
from django.urls import path

from calls import views

urlpatterns = [
    path("", views.apps_overview, name="apps_overview"),
    path("admin/", admin.site.urls),
]
