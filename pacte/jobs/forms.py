from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from pacte.jobs.kinds import Kind


class ScheduleForm(forms.Form):
    """One schedule's timing; the weekday for weekly kinds, the day of the month otherwise."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("On"), required=False)
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), coerce=int, choices=sorted(WEEKDAYS.items())
    )
    day = forms.IntegerField(
        label=_("Day of the month"),
        min_value=1,
        max_value=28,
        help_text=_("From 1 to 28, so that every month has it."),
    )
    at = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args: Any, kind: Kind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind.every == "week":
            del self.fields["day"]
        else:
            del self.fields["weekday"]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        at: datetime.time = data["at"]
        out = {"enabled": data["enabled"], "hour": at.hour, "minute": at.minute}
        for field in ("weekday", "day"):
            if field in data:
                out[field] = data[field]
        return out
