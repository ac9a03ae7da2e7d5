"""The calls list sorted by run time and peaks in headless Chromium: screenshots at desktop and
phone width, light and dark, in tests/screenshots/, checked by axe; and sorting without JS."""

import pytest
from django.core.management import call_command

from calls.models import Call
from calls.outliers import SORTS
from tests.browser.conftest import DESKTOP, PHONE, audit, screenshot


@pytest.mark.parametrize(
    ("name", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop-dark", DESKTOP, "dark"),
     ("phone-dark", PHONE, "dark")],
)  # fmt: skip
def test_it_shows_the_largest_figures_first(open_page, name, viewport, scheme):
    call_command("seed_demo", calls=60)
    sorts = (
        ("duration", "slowest first"),
        ("peak_mem", "most memory first"),
        ("peak_cpu", "most CPU first"),
    )
    for sort, label in sorts:
        page = open_page(f"/apps/media/calls/?sort={sort}&window=30d", viewport, scheme, True)
        screenshot(page, f"calls-{sort}-{name}")
        assert page.errors == []
        assert audit(page) == [], name
        ids = page.locator("input[name=ids]").evaluate_all("(boxes) => boxes.map((b) => b.value)")
        figures = [getattr(Call.objects.get(pk=pk), SORTS[sort]) for pk in ids]
        assert figures
        assert figures == sorted(figures, reverse=True)
        # The figure sorted on is in view, in bold, without scrolling the table.
        assert page.locator("td.sorted").count() == len(ids)
        assert page.locator("td.sorted").first.is_visible()
        box = page.locator("td.sorted").first.bounding_box()
        shown = page.locator(".scroll[aria-label=Calls]").bounding_box()
        assert box["x"] + box["width"] <= shown["x"] + shown["width"], f"{sort} cut at {name}"
        current = page.locator("nav[aria-label='Order of the list'] [aria-current]")
        assert current.inner_text() == label
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"the sorted list scrolls sideways at {name}"


def test_it_sorts_and_narrows_without_javascript(browser, live_server):
    call_command("seed_demo", calls=60)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/apps/media/calls/")
    page.select_option("select[name=sort]", "peak_mem")
    page.fill("input[name=min_mem_share]", "10")
    page.click("button[type=submit]")
    assert "sort=peak_mem" in page.url
    assert "min_mem_share=10" in page.url
    screenshot(page, "calls-most-memory-no-js")
    ids = page.locator("input[name=ids]").evaluate_all("(boxes) => boxes.map((b) => b.value)")
    figures = [
        Call.objects.values_list("peak_mem_usage", "peak_mem_share").get(pk=pk) for pk in ids
    ]
    assert figures
    assert [peak for peak, _ in figures] == sorted((peak for peak, _ in figures), reverse=True)
    assert all(share >= 10 for _, share in figures)
    page.click("nav a:text-is('most CPU first')")
    assert "sort=peak_cpu" in page.url
    assert "min_mem_share=10" in page.url
    context.close()
