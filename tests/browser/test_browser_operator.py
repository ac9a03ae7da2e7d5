"""An operator's paths in real Chromium: from the overview's failed share to a failing call's
log in two clicks at desktop and phone width, and axe-core on every page, light and dark,
with screenshots in tests/screenshots/ for people to look at."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from calls.models import Call, CallLog
from tests.browser.conftest import PHONE, audit, screenshot

pytestmark = pytest.mark.usefixtures("local_chartjs")

DESKTOP = {"width": 1366, "height": 800}
# What axe finds in Swagger UI's own markup on /api/docs/, which no template of ours draws:
# a button holding its path link, its info block outside its <main>, an h3 after its h1.
SWAGGER_UI_OWN = ("nested-interactive", "region", "heading-order")
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def failing_app(make_call):
    """App "shop" in the last hour: successes, two errors and a timeout, each with a log."""
    now = timezone.now()
    made = []
    for minutes, status in enumerate(["success", "error", "success", "timeout", "error"]):
        call = make_call(
            app="shop",
            path="/checkout",
            status=status,
            created=now - timedelta(minutes=50 - 10 * minutes),
            error="container exited with code 1\ngoroutine 1 [running]"
            if status == "error"
            else "",
            metrics={"cpu_total": 40 + minutes, "mem_usage": 90 * 2**20},
        )
        CallLog.objects.create(call=call, text=f"starting\nhandling {status}\nfatal: {status}\n")
        made.append(call)
    return made


@pytest.mark.parametrize("width", WIDTHS)
def test_it_reaches_a_failing_calls_log_in_two_clicks(open_page, failing_app, width):
    page = open_page("/", WIDTHS[width])
    page.get_by_role("link", name="60.0 %").click()  # 3 of 5 failed
    page.wait_for_url(re.compile(r"/apps/shop/calls/\?status=failed&window=24h$"))
    statuses = page.locator("table.calls tbody .badge").all_inner_texts()
    assert sorted(statuses) == ["error", "error", "timeout"]
    assert "3 of 3" in page.locator("#calls").inner_text()
    page.locator("table.calls tbody tr").first.get_by_role("link").click()
    newest_failure = failing_app[-1]
    page.wait_for_url(re.compile(rf"/apps/shop/calls/{newest_failure.id}/\?window=24h$"))
    log = page.locator("#log")
    log.scroll_into_view_if_needed()
    assert log.is_visible()
    assert "fatal: error" in log.inner_text()
    assert page.locator("#copy-log").is_visible()
    screenshot(page, f"walk-call-{width}")
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= WIDTHS[width]["width"]
    assert page.errors == []


def test_it_copies_the_log_without_its_line_numbers(open_page, failing_app, browser):
    page = open_page(f"/apps/shop/calls/{failing_app[1].id}/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy-log")
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == (
        "starting\nhandling error\nfatal: error\n"
    )


def pages_to_audit() -> dict[str, str]:
    """Every page of ours, with the demo data: name -> path."""
    call_command("seed_demo", calls=60)
    call = Call.objects.filter(app="media", path="/transcode").order_by("-id").first()
    others = Call.objects.filter(app="media").exclude(pk=call.pk).order_by("-id")
    failed = Call.objects.filter(status__in=Call.FAILED).order_by("-id").first()
    return {
        "apps": "/",
        "calls": "/apps/media/calls/",
        "calls-failed": f"/apps/{failed.app_id}/calls/?status=failed&window=7d",
        "calls-bad-filter": "/apps/media/calls/?since=garbage",
        "call": f"/apps/media/calls/{call.id}/",
        "call-failed": f"/apps/{failed.app_id}/calls/{failed.id}/",
        "compare": f"/apps/media/compare/?ids={call.id}&ids={others[0].id}&ids={others[1].id}",
        "call-not-found": "/apps/media/calls/01NOPE/",
        "api-docs": "/api/docs/",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_without_cut_off_tables(open_page, width, scheme):
    for name, path in pages_to_audit().items():
        page = open_page(path, WIDTHS[width], scheme, audited=True)
        if name == "api-docs":  # Swagger UI draws itself after the load event
            page.locator(".swagger-ui .info").wait_for()
        screenshot(page, f"{name}-{width}-{scheme}")
        # The 400 and 404 pages log their own status; nothing else may go wrong.
        errors = [error for error in page.errors if not error.startswith("Failed to load")]
        assert errors == [], name
        skipped = SWAGGER_UI_OWN if name == "api-docs" else ()
        assert audit(page, skipped) == [], f"{name} at {width}, {scheme}"
        # Wider tables scroll inside their own box, never the page.
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= WIDTHS[width]["width"], f"{name} scrolls sideways at {width}"
