"""Human units for the dashboard's templates, the Chart.js script tag and its data."""

from datetime import UTC, datetime, timedelta

import orjson
from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from calls.stats import MIB

register = template.Library()

# What json_script escapes, so that no text in the data can close the <script> element.
SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
DASH = "–"
NBSP = "\u00a0"


@register.filter
def figure(value: float | None) -> str:
    """One decimal and thousands separators, as the charts' tooltips print values."""
    return DASH if value is None else f"{value:,.1f}"


@register.filter
def mib(value: float | None) -> str:
    return DASH if value is None else f"{value / MIB:,.1f} MiB"


@register.filter
def share(value: float | None) -> str:
    """A fraction from 0 to 1 as a percentage."""
    return DASH if value is None else f"{value * 100:.1f} %"


@register.filter
def utc(value: datetime | None) -> str:
    """A time to the millisecond, in UTC and saying so: 2017-11-27 14:52:53.123 UTC."""
    if value is None:
        return DASH
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d} UTC"


@register.filter
def thousands(value: int) -> str:
    return f"{value:,}"


@register.filter
def headline(text: str, length: int = 80) -> str:
    """The first line of a text, shortened to `length` characters; "…" marks what is left out."""
    line, *rest = text.strip().split("\n", 1)
    line = line.rstrip()
    if len(line) > length:
        return line[: length - 1] + "…"
    return line + " …" if rest else line


@register.filter
def duration(value: float | timedelta | None) -> str:
    """A duration the way people read one: 850 ms, 4.2 s, 3 min 05 s, 1 h 02 min, with
    no-break spaces, so a narrow cell never wraps it inside."""
    if value is None:
        return DASH
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return readable_duration(value).replace(" ", NBSP)


def readable_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.simple_tag
def chartjs_script() -> str:
    """Chart.js from CHARTJS_URL, pinned by CHARTJS_INTEGRITY when that is set."""
    if settings.CHARTJS_INTEGRITY:
        return format_html(
            '<script src="{}" integrity="{}" crossorigin="anonymous" defer></script>',
            settings.CHARTJS_URL,
            settings.CHARTJS_INTEGRITY,
        )
    return format_html('<script src="{}" defer></script>', settings.CHARTJS_URL)


@register.filter
def chart_json(value: object, element_id: str) -> SafeString:
    """Django's json_script written by orjson: a call's charts hold thousands of floats, which
    the standard library took most of the call page's time to write."""
    text = orjson.dumps(value).decode().translate(SCRIPT_ESCAPES)
    return format_html(
        '<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text)
    )
