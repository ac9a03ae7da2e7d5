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
    if name.startswith("desktop"):  # 24 hours fit: the heatmap keeps to the left
        scroller = page.locator("div.scroll:has(table.heatmap)").bounding_box()
        assert heatmap.bounding_box()["x"] <= scroller["x"] + 2
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


def test_a_heatmap_wider_than_the_screen_opens_at_its_newest_columns(open_page):
    call_command("seed_demo", calls=300)  # all in the last hours of the week's 168 columns
    page = open_page("/apps/media/trends/?window=7d", PHONE)
    scroller = page.locator("div.scroll:has(table.heatmap)")
    scroller.scroll_into_view_if_needed()
    scroller.screenshot(path="tests/screenshots/heatmap-7d-phone.png")
    box = scroller.bounding_box()
    first, last = (page.locator("table.heatmap thead th").nth(n) for n in (1, -1))
    assert box["width"] < page.locator("table.heatmap").bounding_box()["width"]
    # The newest column is in view at the right; the oldest is out of view at the left.
    last_box = last.bounding_box()
    assert box["x"] <= last_box["x"]
    assert last_box["x"] + last_box["width"] <= box["x"] + box["width"]
    assert first.bounding_box()["x"] + first.bounding_box()["width"] < box["x"]
    # The table still reads left to right: its row labels first, the oldest column next.
    assert page.locator("table.heatmap tbody th").first.bounding_box()["x"] <= box["x"] + 1
    assert page.errors == []
