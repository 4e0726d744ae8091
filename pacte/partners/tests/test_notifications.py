"""A partner's seat never signs in: what it is told reaches the partner's people, in the app
(their partner page and API) and by e-mail, pointing to their partner page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from pacte.objectives import services as objective_services
from pacte.objectives.models import Notification, Status, StretchRequest
from pacte.partners import services
from pacte.partners.tests.helpers import add_person, make_partner
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpine(cast: Cast):  # type: ignore[no-untyped-def]
    partner = make_partner(cast)
    paula = add_person(partner, "paula@alpine.example", "Paula")
    piet = add_person(partner, "piet@alpine.example", "Piet")
    return partner, paula, piet


def _proposed(partner, person, fy: int):  # type: ignore[no-untyped-def]
    objective = services.propose(person=person, fiscal_year=fy, amount=90_000_00)
    assert objective.status == Status.PROPOSED
    return objective


def test_returned_objective_reaches_every_person_by_app_and_mail(
    cast: Cast, fy: int, alpine, django_capture_on_commit_callbacks
) -> None:
    partner, paula, piet = alpine
    other = make_partner(cast, code="tessin", name="Tessin Trade")
    stranger = add_person(other, "tom@tessin.example", "Tom")
    objective = _proposed(partner, paula, fy)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        objective_services.return_objective(
            objective=objective, actor=cast.lead, reason="Too low", version=objective.version
        )
    notices = Notification.objects.filter(kind="returned")
    assert {n.recipient_id for n in notices} == {partner.seat_id, paula.pk, piet.pk}
    assert not notices.filter(recipient=stranger).exists()
    for notice in notices.exclude(recipient=partner.seat):
        assert notice.url == reverse("partner:home") + f"?fy={fy}"
    # One e-mail a person; none to the seat's address (it never signs in).
    assert sorted(m.to[0] for m in mail.outbox) == ["paula@alpine.example", "piet@alpine.example"]
    assert "Too low" in mail.outbox[0].body
    assert reverse("partner:home") in mail.outbox[0].body


def test_inactive_person_and_inactive_partner_get_nothing(cast: Cast, fy: int, alpine) -> None:
    partner, paula, piet = alpine
    piet.is_active = False
    piet.save(update_fields=["is_active"])
    objective = _proposed(partner, paula, fy)
    objective_services.agree(objective=objective, actor=cast.lead, version=objective.version)
    agreed = Notification.objects.filter(kind="agreed")
    assert {n.recipient_id for n in agreed} == {partner.seat_id, paula.pk}
    services.update_partner(
        partner=partner, actor=cast.admin, version=partner.version, is_active=False
    )
    Notification.objects.all().delete()
    objective_services.notify(
        recipient=partner.seat, kind="reminder", params={"fy": fy, "closes_on": "2030-01-31"}
    )
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [partner.seat_id]


def test_a_seller_notification_costs_no_extra_query(
    cast: Cast, fy: int, django_assert_num_queries
) -> None:
    seller = type(cast.seller).objects.select_related("user", "workspace").get(pk=cast.seller.pk)
    with django_assert_num_queries(1):  # the notice's INSERT: no partner lookup for a seller
        objective_services.notify(recipient=seller, kind="reminder", params={"fy": fy})


def test_check_in_reply_reaches_the_people_and_shows_on_their_page(
    cast: Cast, fy: int, alpine, login
) -> None:
    partner, paula, piet = alpine
    _proposed(partner, paula, fy)
    item = services.check_in(person=paula, fiscal_year=fy, confidence=6, comment="Slow start")
    objective_services.reply_to_check_in(check_in=item, actor=cast.lead, text="Call me")
    assert Notification.objects.filter(kind="check_in_reply", recipient=piet).count() == 1
    client = login(piet)
    page = client.get(reverse("partner:home") + f"?fy={fy}")
    assert page.status_code == 200
    assert "answered your check-in" in page.content.decode()
    assert "Call me" in page.content.decode()
    api = client.get("/api/v1/partner/notifications")
    assert api.status_code == 200
    assert "check_in_reply" in {n["kind"] for n in api.json()}
    assert all(n["url"].startswith(reverse("partner:home")) for n in api.json())
    response = client.post(reverse("partner:notifications_read") + f"?fy={fy}")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=piet, read_at__isnull=True).exists()
    # Paula's own stay unread: reading is per person.
    assert Notification.objects.filter(recipient=paula, read_at__isnull=True).exists()
    assert client.post("/api/v1/partner/notifications/read").json() == {"marked": 0}


def test_gap_rule_stretch_reaches_the_partner_and_shows_on_its_page(
    cast: Cast, fy: int, alpine, login
) -> None:
    from pacte.org.models import Placement

    partner, paula, _piet = alpine
    team = Placement.objects.get(membership=partner.seat, valid_to__isnull=True).unit
    rule = objective_services.apply_gap_rule(
        actor=cast.executive,
        unit_id=team.pk,
        fiscal_year=fy,
        kind="stretch",
        amount=20_000_00,
        sellers=[partner.seat],
    )
    request = StretchRequest.objects.get(rule=rule)
    assert (request.seller_id, request.amount) == (partner.seat_id, 20_000_00)
    assert Notification.objects.filter(kind="stretch", recipient=paula).count() == 1
    page = login(paula).get(reverse("partner:home") + f"?fy={fy}").content.decode()
    assert 'data-testid="partner-stretch"' in page
    assert cast.executive.name in page
