"""Form fields and widgets shared by every app.

A browser's ``<input type="date">`` only takes an ISO value (``2026-12-04``) and shows it in
the reader's own format; Django's ``DateInput`` writes the active locale's format instead
(``04/12/2026`` in French), which the browser refuses: the field then starts empty. Every
date field of Pacte therefore uses :class:`DateField`, whose widget always writes ISO; it reads
ISO too (Django accepts ISO input in every locale), as well as the locale's own format typed
by a script.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """``<input type="date">`` whose value is always ISO, whatever the active language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


class DateField(forms.DateField):
    """A date typed in a browser's date picker (see the module docstring)."""

    widget = DateInput
