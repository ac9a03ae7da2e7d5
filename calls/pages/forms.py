"""The calls list's filters, read from the query string so a filtered view can be bookmarked."""

from datetime import UTC, datetime

from django import forms

from calls.models import Call
from calls.outliers import OutlierFilters
from calls.trends import WINDOWS, preset_since


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        # The only value format a datetime-local input accepts.
        super().__init__(format="%Y-%m-%dT%H:%M")


class UtcDateTimeField(forms.DateTimeField):
    """A time read as UTC (or at the offset it names) and kept in UTC, from 1970 on."""

    widget = DateTimeLocalInput

    def to_python(self, value) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            # An offset can push a time past what a datetime holds: 9999-12-31T23:59-14:00.
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a time before the year 9999.") from None
        # No call is older (ingest refuses them), and the summaries reach back a day from
        # "Created before", which near year 1 is no date at all.
        if moment.year < 1970:
            raise forms.ValidationError("Times start in 1970; no call is older.")
        return moment


class CallFilterForm(OutlierFilters):
    CURSORS = ("cursor", "after")
    field_order = ["path", "status", "window", "since", "until", "sort"]

    path = forms.ChoiceField(required=False)
    status = forms.CharField(required=False, widget=forms.Select)
    window = forms.ChoiceField(
        required=False,
        label="Created in the last",
        choices=[("", "any time"), *((name, name) for name in WINDOWS)],
    )
    since = UtcDateTimeField(required=False, label="Created after (UTC)")
    until = UtcDateTimeField(required=False, label="Created before (UTC)")
    # Keyset cursors: the last row of the page before (older) or after (newer): its id, or a
    # sorted list's token (calls.outliers).
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, paths: list[str]):
        super().__init__(data)
        self.fields["path"].choices = [("", "all"), *((path, path) for path in paths)]
        statuses = [("", "any"), ("failed", "Failed (error or timeout)"), *Call.Status.choices]
        # A set of statuses typed into the address ("error,cancelled") is shown as it is.
        chosen = data.get("status", "")
        if chosen not in dict(statuses):
            statuses.append((chosen, chosen.replace(",", ", ")))
        self.fields["status"].widget.choices = statuses

    def clean_status(self) -> list[str]:
        try:
            return Call.statuses_named(self.cleaned_data["status"])
        except ValueError:
            raise forms.ValidationError(Call.STATUS_FILTER_RULE) from None

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if data.get("window") and (since or until):
            raise forms.ValidationError(
                "Choose “Created in the last” or times after and before, not both."
            )
        if since and until and since >= until:
            raise forms.ValidationError("“Created after” must be earlier than “Created before”.")
        return data

    def created_after(self, now: datetime) -> datetime | None:
        """The list's lower bound: "Created after", or the start of the window picked."""
        data = self.cleaned_data
        return data["since"] or (preset_since(data["window"], now) if data["window"] else None)
