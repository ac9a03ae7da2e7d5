"""The trends page's duration heatmap and right-sizing table in headless Chromium: readable at
desktop and phone width, light and dark (screenshots in tests/screenshots/), clean under axe,
and a click on a cell reaching the calls list with that cell's filters."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from tests.browser.conftest import DESKTOP, PHONE, audit, screenshot

pytestmark = pytest.mark.usefixtures("local_chartjs")


@pytest.mark.parametrize(
    ("name", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop-dark", DESKTOP, "dark"),
     ("phone-dark", PHONE, "dark")],
)  # fmt: skip
def test_it_shows_the_heatmap_and_the_sizing_table(open_page, name, viewport, scheme):
    call_command("seed_demo", calls=600)
    page = open_page("/apps/media/trends/?window=24h", viewport, scheme, audited=True)
    heatmap = page.locator("table.heatmap")
    heatmap.scroll_into_view_if_needed()
    screenshot(page, f"heatmap-{name}")
    page.locator("section[aria-labelledby=heatmap-title]").screenshot(
        path=f"tests/screenshots/heatmap-only-{name}.png"
    )
    page.locator("section[aria-labelledby=sizing-title]").screenshot(
        path=f"tests/screenshots/sizing-only-{name}.png"
    )
    assert page.errors == []
    # Filled cells take their colour from the stylesheet, unlike the empty ones.
    colours = heatmap.locator("td").evaluate_all(
        "cells => cells.map((cell) => [cell.className, getComputedStyle(cell).backgroundColor])"
    )
    empty = {colour for cls, colour in colours if not cls}
    filled = {colour for cls, colour in colours if cls}
    assert len(empty) == 1
    assert len(filled) >= 3
    assert not filled & empty
    rows = page.locator("table.sizing tbody tr")
    assert rows.count() == 2
    for advice in page.locator("table.sizing td.advice").all_inner_texts():
        assert "MiB" in advice  # each demo path has calls enough, and a limit
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways at {name}"
    assert audit(page) == []


def test_a_click_on_a_heatmap_cell_lists_its_calls(open_page):
    call_command("seed_demo", calls=300)
    page = open_page("/apps/media/trends/?window=24h&path=/thumbnail")
    cell = page.locator("table.heatmap td a").first
    name = cell.get_attribute("aria-label")
    calls = int(name.split(" ")[0])
    cell.click()
    page.wait_for_url("**/apps/media/calls/?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["path"] == ["/thumbnail"]
    assert query["sort"] == ["duration"]
    assert set(query) == {"path", "since", "until", "min_duration", "max_duration", "sort"}
    assert page.locator("h1").inner_text() == "Calls of media"
    assert calls >= 1
