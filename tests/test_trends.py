"""calls.trends.preset_since: where a preset window starts, as its charts' first bucket."""

from datetime import UTC, datetime

import pytest

from calls.trends import WINDOWS, preset_since, step_for

UNTIL = datetime(2026, 11, 30, 8, 57, 31, 250000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "since"),
    [
        ("1h", datetime(2026, 11, 30, 7, 57, tzinfo=UTC)),  # minutes: from the minute
        ("24h", datetime(2026, 11, 29, 8, tzinfo=UTC)),  # hours: from the hour
        ("7d", datetime(2026, 11, 23, 8, tzinfo=UTC)),
        ("30d", datetime(2026, 10, 31, tzinfo=UTC)),  # days: from midnight UTC
    ],
)
def test_a_preset_starts_at_its_first_chart_bucket(window, since):
    assert preset_since(window, UNTIL) == since


@pytest.mark.parametrize("window", WINDOWS)
def test_a_preset_keeps_its_step_once_started_at_its_bucket(window):
    # Started earlier, the span must not cross into a coarser step than its charts'.
    unrounded = UNTIL - WINDOWS[window]
    assert step_for(preset_since(window, UNTIL), UNTIL) == step_for(unrounded, UNTIL)
