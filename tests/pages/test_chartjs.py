"""Chart.js: the vendored copy is the file the CDN default points at, pinned by its hash."""

import base64
import hashlib
import re
from pathlib import Path

from django.conf import settings

VENDORED = Path(settings.BASE_DIR) / "static/vendor/chartjs/chart.umd.min.js"


def test_it_pins_the_vendored_file_by_its_sha384():
    digest = hashlib.sha384(VENDORED.read_bytes()).digest()
    assert settings.CHARTJS_INTEGRITY == "sha384-" + base64.b64encode(digest).decode()


def test_it_points_the_cdn_at_the_same_version_and_file():
    banner = VENDORED.read_text()[:200]
    version = re.search(r"Chart\.js v(\d+\.\d+\.\d+)", banner).group(1)
    assert settings.CHARTJS_URL == (
        f"https://cdn.jsdelivr.net/npm/chart.js@{version}/dist/chart.umd.min.js"
    )


def test_it_ships_the_license_with_the_copy():
    license_text = (VENDORED.parent / "LICENSE.md").read_text()
    assert "MIT License" in license_text
    assert "Chart.js Contributors" in license_text
