"""People and teams pages: browsing, admin edits, refusals shown on the page."""

from __future__ import annotations

from pacte.accounts.models import Membership
from pacte.org.models import Unit
from pacte.testing.cast import Cast


def test_seller_browses_people_and_teams(cast: Cast, login) -> None:
    client = login(cast.seller)
    page = client.get("/people/")
    assert page.status_code == 200
    assert "Olga Other" in page.content.decode()
    assert "Add a person" not in page.content.decode()
    teams = client.get("/teams/")
    assert "North" in teams.content.decode()
    assert "Lea Lead" in teams.content.decode()


def test_people_search_returns_the_htmx_fragment(cast: Cast, login) -> None:
    client = login(cast.seller)
    response = client.get("/people/?q=olga", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Olga Other" in body
    assert "Sam Seller" not in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_people_page_query_count_does_not_grow_with_people(
    cast: Cast, login, django_assert_max_num_queries
) -> None:
    from pacte.org.services import create_member

    for i in range(30):
        create_member(
            workspace=cast.workspace,
            actor=None,
            email=f"p{i}@acme.example",
            name=f"P {i}",
            roles=["seller"],
            unit=cast.team,
        )
    client = login(cast.seller)
    with django_assert_max_num_queries(12):
        assert client.get("/people/").status_code == 200


def test_admin_adds_a_person(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.post(
        "/people/new/",
        {
            "email": "nina@acme.example",
            "name": "Nina",
            "roles": ["seller"],
            "unit": cast.team.uuid,
            "joined_on": "2026-01-05",
        },
    )
    assert response.status_code == 302
    assert (
        Membership.objects.for_workspace(cast.workspace)
        .filter(user__email="nina@acme.example")
        .exists()
    )


def test_duplicate_email_is_shown_on_the_form(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.post(
        "/people/new/",
        {
            "email": "seller@acme.example",
            "name": "Twin",
            "roles": ["seller"],
            "unit": cast.team.uuid,
            "joined_on": "2026-01-05",
        },
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def test_cycle_is_shown_on_the_team_form(cast: Cast, login) -> None:
    from pacte.org.services import create_unit

    child = create_unit(workspace=cast.workspace, actor=None, name="North-1", parent=cast.team)
    client = login(cast.admin)
    response = client.post(
        f"/teams/{cast.team.uuid}/edit/",
        {
            "name": "North",
            "parent": child.uuid,
            "lead": cast.lead.uuid,
            "version": cast.team.version,
        },
    )
    assert response.status_code == 200
    assert "cycle" in response.content.decode()
    cast.team.refresh_from_db()
    assert cast.team.parent == cast.company


def test_stale_team_edit_shows_a_clear_message(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.post(
        f"/teams/{cast.team.uuid}/edit/",
        {
            "name": "Northern",
            "parent": cast.company.uuid,
            "version": cast.team.version - 1 if cast.team.version > 1 else 999,
        },
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert Unit.objects.get(pk=cast.team.pk).name == "North"


def test_admin_moves_and_deactivates_a_person(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.post(
        f"/people/{cast.seller.uuid}/move/",
        {"unit": cast.other_team.uuid, "effective": "2026-02-01", "version": cast.seller.version},
    )
    assert response.status_code == 302
    response = client.post(f"/people/{cast.seller.uuid}/active/", {"active": "0"})
    assert response.status_code == 302
    cast.seller.refresh_from_db()
    assert not cast.seller.is_active
    # Deactivated people disappear from the directory of sellers but not of admins.
    assert "Sam Seller" not in login(cast.other_seller).get("/people/").content.decode()
    assert client.get(f"/people/{cast.seller.uuid}/").status_code == 200


def test_delete_team_with_members_shows_the_refusal(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.post(f"/teams/{cast.other_team.uuid}/delete/", follow=True)
    assert "still has 1 member" in response.content.decode()


def test_import_page_reports_lines(cast: Cast, login) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(cast.admin)
    upload = SimpleUploadedFile(
        "people.csv",
        b"email,name,unit,lead_of,roles\nbad,X,North,,seller\n",
        content_type="text/csv",
    )
    response = client.post("/people/import/", {"file": upload})
    body = response.content.decode()
    assert "nothing was imported" in body
    assert "<td>2</td>" in body
