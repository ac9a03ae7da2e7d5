"""Outliers: the calls lists (page and API) sorted by a figure of the call, largest first ("the
slowest in the last hour"), narrowed by duration and memory share, and paged on (value, id).

The parameters have the same names and rules on the page and on /v1, so they are declared once
here (OutlierFilters) and both forms inherit them. A sort leaves out the calls without its
figure: unfinished calls have no duration, calls without stats no peaks.
"""

import base64
import binascii
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db.models import F, Q, QuerySet

from calls.text import unstorable

# Sort name -> the stored column, kept on every write by calls.fields.
SORTS = {"duration": "duration_us", "peak_mem": "peak_mem_usage", "peak_cpu": "peak_cpu_total"}
SORT_RULE = f"must be one of {', '.join(SORTS)}"
# The filters narrowed() applies.
FILTERS = ("min_duration", "max_duration", "min_mem_share")
# Seconds with at most microsecond precision (a duration is stored in microseconds), and no
# more than a BIGINT of microseconds holds.
_SECONDS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")
SECONDS_RULE = "must be seconds, at most 6 decimals (e.g. 0.25)"
_PERCENT = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")
PERCENT_RULE = "must be a percentage (e.g. 90 or 99.5)"


@dataclass(frozen=True)
class Cursor:
    """Where a sorted page ended: the last call's figure and id. On the wire an opaque token,
    `<sort>~<base64url of "<value> <id>">`, named by its sort so that one sort's is refused by
    another; read only with a sort (without one, a cursor is an id, as Fn reads it)."""

    sort: str
    value: int | float
    id: str

    def token(self) -> str:
        text = f"{self.value!r} {self.id}".encode()
        return f"{self.sort}~{base64.urlsafe_b64encode(text).decode().rstrip('=')}"

    @classmethod
    def read(cls, token: str) -> "Cursor":
        """The cursor a token holds; ValueError for one fnweb did not make."""
        sort, _, data = token.partition("~")
        if sort not in SORTS:
            raise ValueError(token)
        try:
            text = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
            value, call_id = text.split(" ", 1)
            number = int(value) if sort == "duration" else float(value)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValueError(token) from None
        # float() reads "nan" and "inf", which no stored figure is and MariaDB's driver cannot
        # send.
        if not math.isfinite(number):
            raise ValueError(token)
        if not call_id or unstorable(call_id):  # no id holds it, nor can PostgreSQL compare it
            raise ValueError(token)
        return cls(sort, number, call_id)


class NumberField(forms.CharField):
    """A number written plainly (digits and a point, as `pattern` allows), converted by
    `convert`; None when absent. `rule` says what is wanted, after the parameter's name."""

    def __init__(self, label: str, pattern: re.Pattern, rule: str, convert):
        super().__init__(required=False, strip=True, label=label)
        self.pattern, self.rule, self.convert = pattern, rule, convert

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if not self.pattern.fullmatch(text):
            raise forms.ValidationError(self.rule)
        return self.convert(text)


def microseconds(seconds: str) -> int:
    """Seconds as whole microseconds, the stored duration's unit, exactly (no float)."""
    return int(Decimal(seconds) * 1_000_000)


class OutlierFilters(forms.Form):
    """sort, min_duration (inclusive), max_duration (exclusive), min_mem_share (inclusive).
    A form inheriting this names its keyset cursors in CURSORS; with a sort they are read as
    Cursors of that sort, without one they stay ids."""

    CURSORS = ("cursor",)

    sort = forms.ChoiceField(
        required=False,
        label="Order",
        choices=[
            ("", "newest first"),
            ("duration", "slowest first"),
            ("peak_mem", "most memory first"),
            ("peak_cpu", "most CPU first"),
        ],
        error_messages={"invalid_choice": SORT_RULE},
    )
    min_duration = NumberField("Duration at least (s)", _SECONDS, SECONDS_RULE, microseconds)
    max_duration = NumberField("Duration under (s)", _SECONDS, SECONDS_RULE, microseconds)
    min_mem_share = NumberField("Peak memory at least (% of limit)", _PERCENT, PERCENT_RULE, float)

    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("min_duration"), data.get("max_duration")
        if low is not None and high is not None and low >= high:
            self.add_error("max_duration", "must be more than min_duration")
        sort = data.get("sort")
        for name in self.CURSORS:
            token = data.get(name)
            # Without a sort a cursor is an id, as Fn reads it: `~` may be part of one.
            if not token or not sort:
                continue
            try:
                data[name] = Cursor.read(token)
            except ValueError:
                data[name] = None
            if not data[name] or data[name].sort != sort:
                self.add_error(name, f"is not a cursor of sort={sort}")
        return data


def narrows(filters: dict) -> bool:
    """Whether the filters hold a duration or memory-share bound."""
    return any(filters.get(name) is not None for name in FILTERS)


def narrowed(calls: QuerySet, filters: dict) -> QuerySet:
    """The calls that pass the duration and memory-share filters (None filters nothing).
    A call without the figure never passes."""
    if filters.get("min_duration") is not None:
        calls = calls.filter(duration_us__gte=filters["min_duration"])
    if filters.get("max_duration") is not None:
        calls = calls.filter(duration_us__lt=filters["max_duration"])
    if filters.get("min_mem_share") is not None:
        calls = calls.filter(peak_mem_share__gte=filters["min_mem_share"])
    return calls


def in_order(calls: QuerySet, sort: str, before: Cursor | str = "") -> QuerySet:
    """A list's keyset order below the cursor `before`: newest first without a sort (by id,
    Fn's order and cursor), else on (figure, id), largest first, an index range on
    (app[, path], figure, id), never an OFFSET. Sorted rows carry `sort_value`."""
    if not sort:
        return calls.newest_first(before)
    key = SORTS[sort]
    calls = calls.filter(**{f"{key}__isnull": False}).annotate(sort_value=F(key))
    if before:
        # The plain bound (figure <= value) is the index range every planner uses; the OR
        # then drops the calls of the same figure at or above the cursor's id.
        calls = calls.filter(
            Q(**{f"{key}__lt": before.value}) | Q(**{key: before.value, "id__lt": before.id}),
            **{f"{key}__lte": before.value},
        )
    return calls.order_by(f"-{key}", "-id")


def in_reverse(calls: QuerySet, sort: str, after: Cursor | str) -> QuerySet:
    """The calls above the cursor `after` in in_order's order, the nearest first (paging back
    up a list)."""
    if not sort:
        return calls.oldest_first(after)
    key = SORTS[sort]
    calls = calls.filter(**{f"{key}__isnull": False}).annotate(sort_value=F(key))
    calls = calls.filter(
        Q(**{f"{key}__gt": after.value}) | Q(**{key: after.value, "id__gt": after.id}),
        **{f"{key}__gte": after.value},
    )
    return calls.order_by(key, "id")


def cursor_of(call, sort: str) -> str:
    """The cursor of a page ending at `call`: its id (Fn's cursor), or a sorted token."""
    return Cursor(sort, call.sort_value, call.id).token() if sort else call.id
