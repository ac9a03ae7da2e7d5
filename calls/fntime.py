"""Times as Fn writes them: RFC 3339 on the wire, whole nanoseconds inside, Go's zero time for
"never set". No Django here.

Python's datetime stops at microseconds, and Fn's stats reduction works in nanoseconds, so
exact times are integers of nanoseconds since the Unix epoch; datetimes are for the database.
"""

import functools
import re
from datetime import UTC, date, datetime, timedelta

NS_PER_SECOND = 1_000_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
# Whole seconds since the epoch of the first and last second datetime can hold.
_FIRST_SECOND = (1 - _EPOCH_ORDINAL) * 86_400
_LAST_SECOND = (date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL + 1) * 86_400 - 1
# ASCII digits only ([0-9], not \d, which takes any script's digits); offsets up to 23:59.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"([Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)

# A time in UTC to a whole minute, then its seconds and fraction: how samplers write (Go's
# RFC3339Nano, Fn's three digits). The minute's nanoseconds are then worked out once, not per
# point, since a call's points share a few minutes.
_UTC_SECONDS = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}):([0-5][0-9])(?:\.([0-9]{1,9}))?[Zz]"
)

# The most days a retention cutoff reaches back: a century, so that "now minus that many
# days" is always a date (a million days back is before year 1).
MAX_RETENTION_DAYS = 36_500

# How Go prints a time.Time that was never set; Fn sends and shows it for "not yet".
GO_ZERO_TIME = "0001-01-01T00:00:00.000Z"


def to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of an aware datetime (which holds whole microseconds)."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> datetime:
    """The aware UTC datetime of nanoseconds since the epoch, truncated to microseconds."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def parse_timestamp(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 date-time; a time zone offset is required.

    Whole seconds are worked out from the date's ordinal in integers: datetime arithmetic
    would cost several times more, on a path that parses every stats point posted."""
    if utc := _UTC_SECONDS.fullmatch(text):
        minute, second, fraction = utc.groups()
        try:
            start = _minute_ns(minute)
        except ValueError:
            pass  # no such date or time of day: the full parse below names the text
        else:
            return start + int(second) * NS_PER_SECOND + int((fraction or "0").ljust(9, "0"))
    return _parse_rfc3339(text)


def _parse_rfc3339(text: str) -> int:
    match = _RFC3339.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with a time zone")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    hour, minute, second = int(hour), int(minute), int(second)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} has no such time of day")
    days = date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL  # checks the date
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    if offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        seconds -= sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
        if not _FIRST_SECOND <= seconds <= _LAST_SECOND:  # 9999-12-31T23:00:00-02:00
            raise ValueError(f"{text!r} is outside years 1 to 9999 in UTC")
    return seconds * NS_PER_SECOND + int((fraction or "0").ljust(9, "0"))


@functools.lru_cache(maxsize=4096)
def _minute_ns(minute: str) -> int:
    """Nanoseconds of a UTC minute written "YYYY-MM-DDTHH:MM"."""
    return _parse_rfc3339(minute + ":00Z")


GO_ZERO_TIME_NS = parse_timestamp(GO_ZERO_TIME)


def format_timestamp(ns: int) -> str:
    """Fn's wire format: RFC 3339 in UTC with exactly three fractional digits (truncated)."""
    seconds, fraction = divmod(ns, NS_PER_SECOND)
    days, seconds = divmod(seconds, 86_400)
    hour, seconds = divmod(seconds, 3600)
    minute, second = divmod(seconds, 60)
    return f"{_day(days)}T{hour:02d}:{minute:02d}:{second:02d}.{fraction // 1_000_000:03d}Z"


@functools.lru_cache(maxsize=1024)
def _day(days: int) -> str:
    """The date `days` after 1970-01-01, worked out once per day (a call's points share one).
    Spelled out rather than strftime's %Y, which drops the leading zeros of years before 1000
    on glibc."""
    day = date.fromordinal(days + _EPOCH_ORDINAL)
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def format_datetime(moment: datetime | None) -> str:
    """A stored time on Fn's wire: Go's zero time when it was never set."""
    return GO_ZERO_TIME if moment is None else format_timestamp(to_ns(moment))


# Unix seconds outside what every database's datetime column holds are clamped to these.
_EARLIEST_SECONDS, _LATEST_SECONDS = (
    to_ns(datetime(year, month, day, tzinfo=UTC)) // NS_PER_SECOND
    for year, month, day in ((1000, 1, 1), (9999, 12, 31))
)


def from_unix_seconds(seconds: int) -> datetime:
    """Unix seconds as an aware datetime, clamped to years 1000 to 9999, which every database
    stores (a filter far outside that range means "no bound" all the same)."""
    return from_ns(min(max(seconds, _EARLIEST_SECONDS), _LATEST_SECONDS) * NS_PER_SECOND)
