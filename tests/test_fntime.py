"""calls/fntime.py on its own: RFC 3339 to nanoseconds and back, Go's zero time, clamps."""

import random
from datetime import UTC, datetime

import pytest

from calls.fntime import (
    GO_ZERO_TIME,
    NS_PER_SECOND,
    _parse_rfc3339,
    format_datetime,
    format_timestamp,
    from_unix_seconds,
    parse_timestamp,
)


def test_it_reads_nanoseconds_and_offsets():
    assert parse_timestamp("1970-01-01T00:00:01.000000001Z") == NS_PER_SECOND + 1
    assert parse_timestamp("1970-01-01T01:00:00+01:00") == 0
    assert parse_timestamp("1969-12-31T19:00:00.5-05:00") == NS_PER_SECOND // 2


def test_it_reads_utc_times_by_their_minute_exactly_as_the_full_parse_does():
    # UTC times go by a cached minute; every shape must give what the full parse gives.
    rng = random.Random(3)
    for _ in range(2000):
        fraction = rng.choice(["", "." + "".join(rng.choices("0123456789", k=rng.randint(1, 9)))])
        text = (
            f"{rng.randint(1, 9999):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            f"{rng.choice('Tt ')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            f":{rng.randint(0, 59):02d}{fraction}{rng.choice('Zz')}"
        )
        assert parse_timestamp(text) == _parse_rfc3339(text), text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2017-02-30T14:52:53Z", "day is out of range"),
        ("2017-11-27T24:00:00Z", "'2017-11-27T24:00:00Z' has no such time of day"),
        ("2017-11-27T14:60:00Z", "'2017-11-27T14:60:00Z' has no such time of day"),
        ("2017-11-27T14:52:60Z", "has no such time of day"),
        ("2017-11-27T14:52:53.Z", "is not an RFC 3339 date-time"),
    ],
)
def test_it_names_the_whole_text_of_a_utc_time_that_is_no_time(text, message):
    with pytest.raises(ValueError, match=message):
        parse_timestamp(text)


def test_it_formats_timestamps_as_fn_does():
    assert format_timestamp(parse_timestamp("2017-11-27T08:52:53.123456-06:00")) == (
        "2017-11-27T14:52:53.123Z"
    )
    assert format_timestamp(0) == "1970-01-01T00:00:00.000Z"
    assert format_timestamp(parse_timestamp("0999-01-02T03:04:05Z")) == "0999-01-02T03:04:05.000Z"


def test_it_refuses_offsets_that_leave_the_years_datetime_can_hold():
    with pytest.raises(ValueError, match="outside years 1 to 9999"):
        parse_timestamp("9999-12-31T23:59:59-01:00")
    with pytest.raises(ValueError, match="outside years 1 to 9999"):
        parse_timestamp("0001-01-01T00:00:00+01:00")


def test_it_prints_a_time_never_set_as_gos_zero_time():
    assert format_datetime(None) == GO_ZERO_TIME == "0001-01-01T00:00:00.000Z"
    moment = datetime(2017, 11, 27, 14, 52, 53, 123456, tzinfo=UTC)
    assert format_datetime(moment) == "2017-11-27T14:52:53.123Z"


def test_it_clamps_unix_seconds_to_years_every_database_stores():
    assert from_unix_seconds(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert from_unix_seconds(-(2**62)).year == 1000
    assert from_unix_seconds(2**62) == datetime(9999, 12, 31, tzinfo=UTC)
