from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from calls.models import App


def apps_overview(request: HttpRequest) -> HttpResponse:
    apps = App.objects.annotate(call_count=Count("calls"), newest=Max("calls__created_at"))
    return render(request, "apps_overview.html", {"apps": apps.order_by("name")})
