"""A Content Security Policy header on every response (Django 5.2 has none built in).

Our pages, the admin and the API docs load scripts and styles from our own origin only, plus
Chart.js from its CDN when CHARTJS_URL points there; no inline script can run. One exception:
the API docs page (drf-spectacular's Swagger UI) carries an inline <style> block, so inline
styles, and nothing else, are allowed on that page alone.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


def policy(inline_styles: bool = False) -> str:
    chartjs = urlsplit(getattr(settings, "CHARTJS_URL", ""))
    scripts = "'self'"
    if chartjs.scheme and chartjs.netloc:
        scripts += f" {chartjs.scheme}://{chartjs.netloc}"
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = policy()
        self.docs_path = reverse("api_docs")
        self.docs_policy = policy(inline_styles=True)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        chosen = self.docs_policy if request.path == self.docs_path else self.policy
        response.headers.setdefault("Content-Security-Policy", chosen)
        return response
