"""The calls list's filters, read from the query string so a filtered view can be bookmarked."""

from django import forms

from calls.models import Call


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        # The only value format a datetime-local input accepts.
        super().__init__(format="%Y-%m-%dT%H:%M")


class CallFilterForm(forms.Form):
    path = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "any"), *Call.Status.choices])
    since = forms.DateTimeField(required=False, label="Created after", widget=DateTimeLocalInput())
    until = forms.DateTimeField(required=False, label="Created before", widget=DateTimeLocalInput())
    # Keyset cursors: the id of the last row of the page before (older) or after (newer).
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, paths: list[str]):
        super().__init__(data)
        self.fields["path"].choices = [("", "all"), *((path, path) for path in paths)]

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        # No call is older (ingest refuses them), and the summaries reach back a day from
        # "Created before", which near year 1 is no date at all.
        if any(moment and moment.year < 1970 for moment in (since, until)):
            raise forms.ValidationError("Times start in 1970; no call is older.")
        if since and until and since >= until:
            raise forms.ValidationError("“Created after” must be earlier than “Created before”.")
        return data
