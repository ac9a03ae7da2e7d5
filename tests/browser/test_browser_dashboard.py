"""The dashboard in real headless Chromium: charts drawn, tooltips, filters, compare, the CDN
down, and screenshots of every page in tests/screenshots/ for people to look at."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command

from calls.fntime import NS_PER_SECOND, to_ns
from calls.models import Call
from tests.browser.conftest import DESKTOP, PHONE, line_pixels, screenshot
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("local_chartjs")

CHARTS = ("cpu", "memory", "network", "disk")


def test_it_draws_every_chart_of_a_call(open_page, busy_call):
    call = busy_call()
    page = open_page(f"/apps/shop/calls/{call.id}/")
    assert page.locator("#charts-off").is_hidden()
    for chart in CHARTS:
        assert page.locator(f"#chart-{chart}").is_visible()
        assert line_pixels(page, chart) > 100, f"nothing drawn on the {chart} chart"
    assert page.errors == []


def test_it_draws_the_metrics_a_call_has_and_says_which_it_lacks(open_page, make_call):
    call = make_call(app="shop", completed_at=T0 + timedelta(seconds=6))
    call.set_stats([(to_ns(T0) + s * NS_PER_SECOND, {"cpu_total": 20 * s}) for s in range(1, 6)])
    call.save()
    page = open_page(f"/apps/shop/calls/{call.id}/")
    assert line_pixels(page, "cpu") > 100
    for chart in ("memory", "network", "disk"):
        assert page.locator(f"#chart-{chart}").is_hidden()
    assert page.get_by_text("No memory metrics in this histogram.").is_visible()
    assert page.errors == []
    screenshot(page, "call-detail-cpu-only")


def test_it_takes_three_clicks_from_the_apps_to_a_demo_calls_charts(open_page):
    call_command("seed_demo", calls=60)
    page = open_page("/")
    page.get_by_role("link", name="media", exact=True).click()
    page.click("table.calls tbody tr:first-child a")
    page.wait_for_url(re.compile(r"/apps/media/calls/\w+/$"))
    for chart in CHARTS:
        assert line_pixels(page, chart) > 100, f"nothing drawn on the {chart} chart"
    assert page.locator("table.figures").count() == 4
    headings = page.locator("table.figures").first.locator("thead th").all_inner_texts()
    assert headings[1:] == ["MIN", "MAX", "AVERAGE", "MEDIAN", "P95"]


def test_it_shows_the_value_under_the_pointer(open_page, busy_call):
    call = busy_call()
    page = open_page(f"/apps/shop/calls/{call.id}/")
    box = page.locator("#chart-cpu").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator("#chart-cpu").evaluate(
        """(canvas) => {
          const tooltip = Chart.getChart(canvas).tooltip;
          return {shown: tooltip.opacity > 0, title: tooltip.title, lines: tooltip.body.map(
            (item) => item.lines.join(" "))};
        }"""
    )
    assert tooltip["shown"]
    assert re.fullmatch(r"\d+\.\d s", tooltip["title"][0])
    assert re.fullmatch(r"total: [\d,]+\.\d %", tooltip["lines"][0])


def test_it_narrows_the_list_with_the_filters(open_page, busy_call):
    for offset in range(6):
        busy_call(offset=offset, status="error" if offset % 3 == 0 else "success")
    page = open_page("/apps/shop/calls/")
    rows = page.locator("table.calls tbody tr")
    assert rows.count() == 6
    page.select_option("#id_status", "error")
    page.click("text=Apply")
    page.wait_for_url(re.compile(r"status=error"))
    assert rows.count() == 2
    assert rows.locator(".badge").all_inner_texts() == ["error", "error"]


def test_it_overlays_two_calls_to_compare(open_page, busy_call):
    calls = [busy_call(offset=offset) for offset in range(3)]
    page = open_page("/apps/shop/calls/")
    button = page.locator("#compare-button")
    assert button.is_disabled()
    page.check(f'input[value="{calls[0].id}"]')
    page.check(f'input[value="{calls[2].id}"]')
    assert button.is_enabled()
    button.click()
    page.wait_for_url(re.compile(r"/compare/"))
    assert page.url.endswith(f"?ids={calls[2].id}&ids={calls[0].id}")  # newest first
    counted = page.locator("canvas").evaluate_all(
        "(canvases) => canvases.map((canvas) => Chart.getChart(canvas).data.datasets.length)"
    )
    assert counted == [2] * 6
    for chart in ("cpu-cpu_total", "memory-mem_usage"):
        assert line_pixels(page, chart, "--series-0") > 100
        assert line_pixels(page, chart, "--series-1") > 100


def test_it_keeps_the_tables_when_chartjs_cannot_load(open_page, busy_call, settings):
    # The default: jsDelivr, which open_page's routing makes unreachable.
    settings.CHARTJS_URL = "https://cdn.jsdelivr.net/npm/chart.js@4.6.1/dist/chart.umd.min.js"
    call = busy_call()
    page = open_page(f"/apps/shop/calls/{call.id}/")
    assert page.locator("#charts-off").is_visible()
    assert "Charts are unavailable" in page.locator("#charts-off").inner_text()
    assert page.locator("table.figures").count() == 4
    assert page.locator("canvas").first.is_hidden()


@pytest.mark.parametrize(
    ("name", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop-dark", DESKTOP, "dark")],
)
def test_it_renders_every_page_cleanly(open_page, name, viewport, scheme):
    call_command("seed_demo", calls=60)
    call = Call.objects.filter(app="media", path="/transcode").order_by("-id").first()
    other = Call.objects.filter(app="media").exclude(pk=call.pk).order_by("-id").first()
    pages = {
        "apps": "/",
        "calls": "/apps/media/calls/",
        "call": f"/apps/media/calls/{call.id}/",
        "compare": f"/apps/media/compare/?ids={call.id}&ids={other.id}",
    }
    for page_name, path in pages.items():
        page = open_page(path, viewport, scheme)
        screenshot(page, f"{page_name}-{name}")
        assert page.errors == []
        # No inline code, which a Content Security Policy without 'unsafe-inline' blocks.
        assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{page_name} scrolls sideways at {name}"
