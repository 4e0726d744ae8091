"""Date inputs hold ISO values in every language: a browser's date picker refuses anything else
(``04/12/2026`` leaves it empty, and a required date then blocks the form)."""

from __future__ import annotations

import datetime
import re
from importlib import import_module

import pytest
from django import forms
from django.utils import timezone, translation

from pacte.org.models import ProposalDraft, ProposalStatus

APPS = ("accounts", "audit", "org", "sales", "planning", "objectives", "insights")
DATE_INPUT = re.compile(r"<input\b[^>]*\btype=\"date\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_fields() -> list[tuple[str, forms.DateField]]:
    found = []
    for app in APPS:
        try:
            module = import_module(f"pacte.{app}.forms")
        except ModuleNotFoundError:
            continue
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, forms.BaseForm)
                and obj.__module__ == module.__name__
            ):
                for name, field in obj.base_fields.items():  # type: ignore[attr-defined]
                    if isinstance(field, forms.DateField):
                        found.append((f"{obj.__name__}.{name}", field))
    return found


def test_every_date_field_renders_and_reads_iso_in_french() -> None:
    fields = date_fields()
    assert len(fields) >= 10
    day = datetime.date(2026, 12, 4)
    with translation.override("fr"):
        for name, field in fields:
            html = field.widget.render("d", day)
            assert 'type="date"' in html, name
            assert 'value="2026-12-04"' in html, (name, html)
            assert field.clean("2026-12-04") == day, name


def date_values(html: str) -> list[str]:
    return [m.group(1) for tag in DATE_INPUT.findall(html) if (m := VALUE.search(tag))]


@pytest.mark.django_db
def test_pages_with_date_inputs_show_iso_values_in_french(cast, login) -> None:
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    client = login(cast.admin)
    response = client.post(
        "/org/proposals/",
        {"name": "Plat", "max_layers": 1, "span_min": 1, "span_max": 20, "on": "2026-12-04"},
    )
    draft = ProposalDraft.objects.get(name="Plat")
    assert response.status_code == 302
    pages = [
        "/org/chart/",
        "/org/structure/",
        "/org/delegation/",
        "/org/proposals/",
        f"/org/proposals/{draft.uuid}/",
        "/people/new/",
        f"/people/{cast.seller.uuid}/move/",
        "/audit/?date_from=2026-12-01",
        "/sales/?date_from=2026-12-01",
        "/objectives/policy/",
    ]
    seen = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'lang="fr"' in html
        for value in date_values(html):
            assert ISO.match(value), (url, value)
            seen += 1
    assert seen >= 8


@pytest.mark.django_db
def test_french_proposal_is_applied_from_the_date_the_page_offers(cast, login) -> None:
    """The apply form is sent back as the page filled it (what the browser does)."""
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    client = login(cast.admin)
    client.post(
        "/org/proposals/",
        {"name": "Plat", "max_layers": 1, "span_min": 1, "span_max": 20, "on": "2026-12-04"},
    )
    draft = ProposalDraft.objects.get(name="Plat")
    html = client.get(f"/org/proposals/{draft.uuid}/").content.decode()
    effective = next(tag for tag in DATE_INPUT.findall(html) if 'name="effective"' in tag)
    value = VALUE.search(effective).group(1)  # type: ignore[union-attr]
    assert value == timezone.localdate().isoformat()
    client.post(
        f"/org/proposals/{draft.uuid}/",
        {"action": "apply", "effective": value, "version": draft.version},
    )
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.APPLIED
    assert draft.effective == timezone.localdate()
