"""Human units for the dashboard's templates, and the Chart.js script tag."""

from datetime import timedelta

from django import template
from django.conf import settings
from django.utils.html import format_html

from calls.stats import MIB

register = template.Library()

DASH = "–"


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
def duration(value: float | timedelta | None) -> str:
    """A duration the way people read one: 850 ms, 4.2 s, 3 min 05 s, 1 h 02 min."""
    if value is None:
        return DASH
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
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
