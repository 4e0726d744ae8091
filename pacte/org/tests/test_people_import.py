"""People import: all or nothing, errors with line numbers, a re-import changes nothing."""

from __future__ import annotations

import pytest

from pacte.accounts.models import Membership
from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.org.people_import import import_people
from pacte.testing.cast import Cast

GOOD = (
    "email,name,unit,lead_of,roles\n"
    "ana@acme.example,Ana Álvarez,South,,seller\n"
    "bob@acme.example,Bob Brown,North,,seller;admin\n"
    "seller@acme.example,Sam Seller,South,,seller\n"
)


def run(cast: Cast, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return import_people(workspace=cast.workspace, actor=cast.admin, data=data)


def test_import_creates_updates_and_is_idempotent(cast: Cast) -> None:
    result = run(cast, GOOD)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    bob = Membership.objects.for_workspace(cast.workspace).get(user__email="bob@acme.example")
    assert bob.is_admin
    assert bob.is_seller
    events = AuditEvent.objects.count()
    again = run(cast, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == events


def test_one_bad_line_imports_nothing(cast: Cast) -> None:
    text = GOOD + "not-an-email,X,North,,seller\nzed@acme.example,Zed,Atlantis,,seller\n"
    count = Membership.objects.count()
    result = run(cast, text)
    assert not result.ok
    lines = [line for line, _ in result.errors]
    assert lines == [5, 6]
    assert "not-an-email" in result.errors[0][1]
    assert "Atlantis" in result.errors[1][1]
    assert Membership.objects.count() == count


def test_duplicate_email_and_second_lead_are_located(cast: Cast) -> None:
    text = (
        "email,name,unit,lead_of,roles\n"
        "a@acme.example,A,South,South,seller\n"
        "b@acme.example,B,South,South,seller\n"
        "a@acme.example,A again,South,,seller\n"
        "c@acme.example,C,North,North,seller\n"
    )
    result = run(cast, text)
    messages = dict(result.errors)
    assert "line 2" in messages[3]
    assert "line 2" in messages[4]
    assert "lead@acme.example" in messages[5]  # North already has a lead


def test_header_problems_are_refused_clearly(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        run(cast, "email,name,team\nx@acme.example,X,North\n")
    assert exc.value.code == "bad_header"
    assert "unit" in exc.value.message
    assert "team" in exc.value.message


def test_empty_file_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        run(cast, b"")
    assert exc.value.code == "empty_file"


def test_windows_1252_semicolon_file_from_a_french_spreadsheet(cast: Cast) -> None:
    text = "email;name;unit;lead_of;roles\r\nzoe@acme.example;Zoé Lefèvre;South;;seller\r\n"
    result = run(cast, text.encode("cp1252"))
    assert result.ok, result.errors
    assert Membership.objects.get(user__email="zoe@acme.example").name == "Zoé Lefèvre"


def test_utf8_bom_is_accepted(cast: Cast) -> None:
    result = run(cast, "\ufeff" + GOOD)
    assert result.ok, result.errors


def test_lead_of_grants_the_lead_role_and_sets_the_lead(cast: Cast) -> None:
    result = run(
        cast, "email,name,unit,lead_of,roles\nnew@acme.example,New Lead,South,South,seller\n"
    )
    assert result.ok, result.errors
    cast.other_team.refresh_from_db()
    assert cast.other_team.lead is not None
    assert cast.other_team.lead.is_lead
