"""The trends page in headless Chromium: every chart drawn, a drag narrowing the calls list,
and screenshots at desktop and phone width, light and dark, in tests/screenshots/."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import DESKTOP, PHONE, line_pixels, screenshot

pytestmark = pytest.mark.usefixtures("local_chartjs")

CHARTS = ("calls", "failed", "duration", "memory", "cpu")


@pytest.mark.parametrize(
    ("name", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop-dark", DESKTOP, "dark"),
     ("phone-dark", PHONE, "dark")],
)  # fmt: skip
def test_it_draws_every_trend_chart_cleanly(open_page, name, viewport, scheme):
    call_command("seed_demo", calls=120)
    for page_name, path in {
        "trends": "/apps/media/trends/?window=7d",
        "trends-path": "/apps/media/trends/?window=30d&path=/transcode",
    }.items():
        page = open_page(path, viewport, scheme)
        page.wait_for_selector("#chart-cpu", state="visible")
        screenshot(page, f"{page_name}-{name}")
        assert page.errors == []
        assert page.locator("#charts-off").is_hidden()
        for chart in CHARTS:
            assert line_pixels(page, chart) > 0, chart
        assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{page_name} scrolls sideways at {name}"


def test_a_drag_across_a_chart_lists_the_calls_of_that_span(open_page):
    call_command("seed_demo", calls=60)
    page = open_page("/apps/media/trends/?window=7d&path=/transcode")
    box = page.locator("#chart-calls").bounding_box()
    y = box["y"] + box["height"] / 3
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, y, steps=5)
    page.mouse.up()
    page.wait_for_url("**/apps/media/calls/?*")
    assert "path=%2Ftranscode" in page.url
    assert "since=" in page.url
    assert "until=" in page.url
    assert page.locator("h1").inner_text() == "Calls of media"
