"""The API's query parameters, read with Fn's rules in one place, as the pages read theirs
with a form: a value Fn refused is Fn's 400 with Fn's message, "<parameter> <rule>"."""

import base64
import re

from django import forms
from django.http import QueryDict

from calls.api.errors import FnError
from calls.fntime import from_unix_seconds
from calls.models import Call
from calls.outliers import OutlierFilters
from calls.text import unstorable

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
# As Go's strconv reads them: ASCII digits only, and no more than an int64 has (a longer
# string is past Python's int-parsing limit, and no count or time).
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def text_field() -> forms.CharField:
    return forms.CharField(required=False, strip=False)


class EpochField(forms.CharField):
    """Unix seconds as an aware datetime, or None when absent."""

    def __init__(self):
        super().__init__(required=False, strip=False)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if not _INTEGER.fullmatch(text) or not -(2**63) <= int(text) < 2**63:
            raise forms.ValidationError("is not an epoch time")
        return from_unix_seconds(int(text))


class FnQuery(forms.Form):
    @classmethod
    def read(cls, query: QueryDict) -> dict:
        """The cleaned parameters, or FnError naming the first one that is wrong."""
        form = cls(query)
        if not form.is_valid():
            name, messages = next(iter(form.errors.items()))
            raise FnError(f"{name} {messages[0]}", 400)
        return form.cleaned_data


class TimeWindowQuery(FnQuery):
    """Fn's exclusive bounds on created_at."""

    from_time = EpochField()
    to_time = EpochField()


class PageQuery(FnQuery):
    cursor = text_field()
    per_page = text_field()

    def clean_per_page(self) -> int:
        """Fn's rule: default 30, capped at 100, anything unreadable or below 1 is 30."""
        text = self.cleaned_data["per_page"]
        if not _INTEGER.fullmatch(text) or int(text) <= 0:
            return DEFAULT_PER_PAGE
        return min(int(text), MAX_PER_PAGE)


class CallFilterQuery(FnQuery):
    path = text_field()
    # fnweb's: one status, several separated by commas, or "failed"; empty, like an empty
    # path, filters nothing
    status = text_field()

    def clean_status(self) -> list[str]:
        try:
            return Call.statuses_named(self.cleaned_data["status"])
        except ValueError:
            raise forms.ValidationError(Call.STATUS_FILTER_RULE) from None


class CallsQuery(OutlierFilters, CallFilterQuery, PageQuery, TimeWindowQuery):
    """Fn's parameters, and fnweb's: status, stats and calls.outliers' sort and filters (with
    a sort, the cursor is a sorted list's token; without, Fn's last id)."""

    stats = text_field()  # fnweb's: "false" leaves the histograms out

    def clean_stats(self) -> bool:
        return self.cleaned_data["stats"] != "false"


class AppsQuery(PageQuery):
    def clean_cursor(self) -> str:
        """Fn's app cursor: the last name of the page before, in unpadded URL-safe base64."""
        cursor = self.cleaned_data["cursor"]
        if not cursor:
            return ""
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            name = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        except ValueError:  # not base64, or not ASCII or UTF-8
            raise forms.ValidationError("is not valid") from None
        if unstorable(name):  # no app name holds it, and PostgreSQL cannot compare it
            raise forms.ValidationError("is not valid")
        return name


def app_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
