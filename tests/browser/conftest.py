"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against
pytest-django's live server, with Chart.js served from our own static files."""

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from calls.demo import histogram
from calls.fntime import NS_PER_SECOND
from calls.reduction import reduce_points
from calls.stats import MIB

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


# Written for people to look at after changing a page (not committed).
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"

# How many pixels of a canvas are close to a CSS colour: where a line was drawn.
COUNT_PIXELS = """(canvas, variable) => {
  const hex = getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let found = 0;
  for (let i = 0; i < data.length; i += 4) {
    const distance = Math.abs(data[i] - want[0]) + Math.abs(data[i + 1] - want[1]) +
      Math.abs(data[i + 2] - want[2]);
    if (data[i + 3] > 128 && distance < 60) found++;
  }
  return found;
}"""


def line_pixels(page, chart: str, variable: str = "--series-0") -> int:
    return page.locator(f"#chart-{chart}").evaluate(COUNT_PIXELS, variable)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio event loop running in this thread, and Django
    # refuses database access from any thread with a running loop (SynchronousOnlyOperation),
    # although nothing here is async. So it is allowed, only while the browser runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def local_chartjs(settings):
    """Chart.js from the vendored copy, still checked against the default integrity hash."""
    settings.CHARTJS_URL = "/static/vendor/chartjs/chart.umd.min.js"


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(path, viewport=DESKTOP, scheme="light", audited=False)`: a page of the
    live server.

    Requests to any other host are aborted, so no test depends on the network; errors the
    page logs are collected in `page.errors`. An `audited` page lets `audit` inject axe-core,
    an inline script our Content Security Policy would refuse.
    """
    contexts = []

    def open_(path: str, viewport: dict = DESKTOP, scheme: str = "light", audited: bool = False):
        context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=audited)
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on(
            "console",
            lambda message: message.type == "error" and page.errors.append(message.text),
        )
        page.goto(live_server.url + path)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def busy_call(make_call):
    """A two-minute call with every metric, shaped like the demo data."""

    def make(app: str = "shop", path: str = "/checkout", offset: int = 0, **fields):
        created = START + timedelta(minutes=offset)
        started = created + timedelta(milliseconds=200)
        call = make_call(
            app=app,
            path=path,
            created=created,
            started_at=started,
            completed_at=started + timedelta(seconds=120),
            **fields,
        )
        start_ns = int(started.timestamp()) * NS_PER_SECOND + NS_PER_SECOND
        points = histogram(random.Random(offset), start_ns, 120, 256 * MIB, 90 * MIB, 35, False)
        call.set_stats(reduce_points(points))
        call.save()
        return call

    return make


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def audit(page, skipped: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's violations on the page (a local copy: npm's axe-core, MPL-2.0), each as
    its rule, impact and the elements that break it; [] when there are none. `skipped`
    names rules not run."""
    page.add_script_tag(path=AXE)
    return page.evaluate(
        """async (skipped) => {
          const rules = Object.fromEntries(skipped.map((rule) => [rule, {enabled: false}]));
          return (await axe.run(document, {rules})).violations.map((v) => ({
            rule: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")),
          }));
        }""",
        list(skipped),
    )
