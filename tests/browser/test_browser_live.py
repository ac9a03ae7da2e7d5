"""Follow live in headless Chromium: off until pressed, new calls at the top, a running call
finishing in place, pausing (by hand and while the tab is hidden), the calls list's rows as the
server prints them, and screenshots at desktop and phone width, light and dark."""

from datetime import UTC, datetime, timedelta

import pytest

from calls import ingest, storing
from tests.browser.conftest import DESKTOP, PHONE, audit, line_pixels, screenshot

# A poll every 5 s: waits are a little over one.
POLL = 7_000


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def shop(make_call):
    """A first page of calls of `shop`, a minute old: a finished one and a running one."""
    make_call(app="shop", path="/checkout", created=now() - timedelta(minutes=2))
    return make_call(
        app="shop", path="/checkout", created=now() - timedelta(minutes=1), status="running",
        completed_at=None,
    )  # fmt: skip


def polls(page) -> list[str]:
    """The live polls the page sends, collected from now on."""
    sent = []
    page.on("request", lambda request: "/live?" in request.url and sent.append(request.url))
    return sent


def follow(page) -> None:
    """Press Follow live and wait for its first poll, so that calls the test writes next go in
    between two polls (SQLite's in-memory test database locks a table read at that moment)."""
    with page.expect_response(lambda response: "/live?" in response.url):
        page.get_by_role("button", name="Follow live").click()


def row(page, call_id: str):
    return page.locator(f'table.calls tbody tr:has(input[value="{call_id}"])')


def test_it_follows_new_calls_only_once_pressed(open_page, shop, make_call):
    page = open_page("/apps/shop/calls/")
    sent = polls(page)
    button = page.get_by_role("button", name="Follow live")
    assert button.get_attribute("aria-pressed") == "false"
    page.wait_for_timeout(POLL)
    assert sent == []  # off by default
    follow(page)
    assert button.get_attribute("aria-pressed") == "true"
    new = make_call(
        app="shop", path="/checkout", created=now(), status="error", error="card declined\nretry",
        metrics={"mem_usage": 50 * 2**20, "cpu_total": 12},
    )  # fmt: skip
    page.locator("table.calls tbody tr").first.locator(f'input[value="{new.id}"]').wait_for(
        timeout=POLL
    )
    assert "live-new" in (row(page, new.id).get_attribute("class") or "")
    assert page.locator("#live-news").inner_text() == "1 new call."
    assert sent[0].endswith(f"after={shop.id}&watch={shop.id}")
    assert page.errors == []


def test_a_running_call_shown_finishes_in_place(open_page, shop):
    page = open_page("/apps/shop/calls/")
    badge = row(page, shop.id).locator(".badge")
    assert badge.inner_text() == "running"
    follow(page)
    report = {
        "id": shop.id, "status": "success", "path": "/checkout",
        "created_at": shop.created_at.isoformat(),
        "started_at": (shop.created_at + timedelta(seconds=1)).isoformat(),
        "completed_at": (shop.created_at + timedelta(seconds=3)).isoformat(),
    }  # fmt: skip
    storing.store("shop", [ingest.parse_call("shop", report)])
    row(page, shop.id).locator(".badge-success").wait_for(timeout=POLL)
    assert row(page, shop.id).locator('[data-label="Duration"]').inner_text() == "2.0\u00a0s"
    assert page.locator("#live-news").inner_text() == "1 finished."
    assert row(page, shop.id).count() == 1


def test_pausing_stops_the_polls(open_page, shop):
    page = open_page("/apps/shop/calls/")
    sent = polls(page)
    button = page.get_by_role("button", name="Follow live")
    button.click()
    page.wait_for_timeout(500)
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    count = len(sent)
    page.wait_for_timeout(POLL)
    assert (count, len(sent)) == (1, 1)
    assert page.locator("#live-state").inner_text() == "Paused."


def test_a_hidden_tab_stops_the_polls_until_it_is_shown(open_page, shop):
    page = open_page("/apps/shop/calls/")
    sent = polls(page)
    page.get_by_role("button", name="Follow live").click()
    page.wait_for_timeout(500)
    visibility = """(hidden) => {
      Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(visibility, True)
    page.wait_for_timeout(POLL)
    assert len(sent) == 1
    assert page.locator("#live-state").inner_text() == "Paused while the tab is hidden."
    page.evaluate(visibility, False)
    page.wait_for_timeout(1000)
    assert len(sent) == 2  # at once, not a poll interval later


def test_it_prints_a_row_as_the_server_does(open_page, shop, make_call):
    page = open_page("/apps/shop/calls/?window=1h")
    follow(page)
    created = now()
    new = make_call(
        app="shop", path="/checkout", created=created, status="timeout",
        started_at=created + timedelta(milliseconds=1500),
        completed_at=created + timedelta(minutes=61, seconds=5),
        error="x" * 300, metrics={"mem_usage": 3 * 2**30 + 12345, "cpu_total": 1234.56},
    )  # fmt: skip
    row(page, new.id).wait_for(timeout=POLL)

    def cells(page) -> list[str]:
        # Every cell but the creation time's "(… ago)", which the live row says as "(new)".
        return (
            row(page, new.id)
            .locator("td:not(.created)")
            .evaluate_all("cells => cells.map((c) => c.innerHTML.trim())")
        )

    live = cells(page)
    page.reload()
    assert live == cells(page)
    assert "3,072.0\u00a0MiB" in " ".join(live).replace(" ", "\u00a0")


def test_it_is_offered_only_on_the_first_page_newest_first(open_page, shop):
    page = open_page(f"/apps/shop/calls/?cursor={shop.id}")
    assert page.get_by_role("button", name="Follow live").is_disabled()
    assert "first page of the list, newest first" in page.locator("#live-state").inner_text()


@pytest.mark.parametrize(
    ("name", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop-dark", DESKTOP, "dark"),
     ("phone-dark", PHONE, "dark")],
)  # fmt: skip
def test_screenshots_of_a_list_followed_live(open_page, shop, make_call, name, viewport, scheme):
    page = open_page("/apps/shop/calls/", viewport, scheme, audited=True)
    follow(page)
    new = make_call(app="shop", path="/checkout", created=now(), status="error", error="boom")
    row(page, new.id).wait_for(timeout=POLL)
    screenshot(page, f"calls-live-{name}")
    assert audit(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]


@pytest.mark.usefixtures("local_chartjs")
@pytest.mark.parametrize(
    ("name", "viewport", "scheme"), [("desktop", DESKTOP, "light"), ("phone-dark", PHONE, "dark")]
)
def test_the_trend_charts_follow_new_calls(open_page, make_call, name, viewport, scheme):
    make_call(app="shop", created=now() - timedelta(minutes=30))
    page = open_page("/apps/shop/trends/?window=1h", viewport, scheme)
    sent = []
    page.on("request", lambda request: "/trends?" in request.url and sent.append(request.url))
    page.wait_for_selector("#chart-calls", state="visible")
    before = line_pixels(page, "calls")
    button = page.get_by_role("button", name="Follow")
    assert button.get_attribute("aria-pressed") == "false"
    for minutes in range(10):
        make_call(app="shop", created=now() - timedelta(minutes=minutes, seconds=5))
    with page.expect_response(lambda response: "/trends?" in response.url):
        button.click()
    page.wait_for_timeout(300)  # drawn after the answer
    assert sent == [page.url.split("/apps/")[0] + "/v1/apps/shop/trends?window=1h"]
    assert line_pixels(page, "calls") > before
    screenshot(page, f"trends-follow-{name}")
    button.click()
    assert page.locator("#trend-follow-state").inner_text() == "Paused."
    assert page.errors == []
