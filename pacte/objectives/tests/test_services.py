"""The objective workflow, its refusals, notifications, gap rules, plans and check-ins."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, PermissionDenied, StaleVersion
from pacte.objectives import selectors, services
from pacte.objectives.models import (
    Notification,
    Objective,
    ObjectiveVersion,
    Status,
    StretchRequest,
)
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")


def test_proposal_at_reference_is_agreed_at_once(cast: Cast, fy: int) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=12_000_000)
    assert o.status == Status.AGREED
    assert o.agreed_amount == 120_000_00
    assert sum(o.months) == o.amount
    assert o.handler is None
    assert AuditEvent.objects.filter(action="objective.auto_agreed").count() == 1


def test_proposal_below_reference_goes_to_the_lead(
    cast: Cast, fy: int, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        o = services.propose(seller=cast.seller, fiscal_year=fy, amount=10_000_000)
    assert o.status == Status.PROPOSED
    assert o.handler == cast.lead
    assert Notification.objects.filter(recipient=cast.lead, kind="proposed").exists()
    assert mail.outbox
    assert mail.outbox[-1].to == [cast.lead.user.email]


def test_tolerance_agrees_within_percent(cast: Cast, fy: int) -> None:
    policy = services.policy_of(cast.workspace)
    services.set_policy(
        workspace=cast.workspace,
        actor=cast.executive,
        auto_agree=True,
        tolerance_pct="10",
        version=policy.version,
    )
    assert (
        services.propose(seller=cast.seller, fiscal_year=fy, amount=10_800_000).status
        == Status.AGREED
    )
    assert AuditEvent.objects.filter(action="delegation_policy.updated").count() == 1


def test_handler_returns_then_seller_revises(cast: Cast, fy: int) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=10_000_000)
    o = services.return_objective(objective=o, actor=cast.lead, reason="Too low", version=o.version)
    assert o.status == Status.RETURNED
    assert o.reason == "Too low"
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=13_000_000, version=o.version)
    assert o.status == Status.AGREED
    assert list(o.versions.order_by("number").values_list("action", flat=True)) == [
        "proposed",
        "returned",
        "auto_agreed",
    ]


def test_counter_proposal_accepted(cast: Cast, fy: int) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=10_000_000)
    o = services.counter_propose(
        objective=o, actor=cast.lead, amount=11_000_000, reason="Meet me", version=o.version
    )
    assert o.status == Status.COUNTERED
    o = services.accept_counter(seller=cast.seller, objective=o, version=o.version)
    assert o.status == Status.AGREED
    assert o.amount == 110_000_00
    assert sum(o.months) == o.amount


def test_only_the_handler_decides(cast: Cast, fy: int) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=10_000_000)
    for outsider in (cast.other_seller, cast.admin):
        with pytest.raises(PermissionDenied):
            services.agree(objective=o, actor=outsider, version=o.version)
    o.refresh_from_db()
    assert o.status == Status.PROPOSED


def test_lead_proposal_goes_to_an_executive(cast: Cast, fy: int) -> None:
    o = services.propose(seller=cast.lead, fiscal_year=fy, amount=100_000)
    assert o.handler == cast.executive


def test_stale_save_is_refused_and_nothing_changes(cast: Cast, fy: int) -> None:
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    services.save_draft(seller=cast.seller, fiscal_year=fy, amount=200_000, version=o.version)
    with pytest.raises(StaleVersion):
        services.save_draft(seller=cast.seller, fiscal_year=fy, amount=300_000, version=o.version)
    o.refresh_from_db()
    assert o.amount == 2000_00
    assert o.versions.count() == 2


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (-5, "amount_negative"),
        ("125000", "amount_invalid"),  # services take minor units, never text
        (12.5, "amount_invalid"),
        (True, "amount_invalid"),
        (10**15 + 1, "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused(cast: Cast, fy: int, amount: object, code: str) -> None:
    with pytest.raises(DomainError) as exc:
        services.propose(seller=cast.seller, fiscal_year=fy, amount=amount)  # type: ignore[arg-type]
    assert exc.value.code == code
    assert not Objective.objects.exists()


def test_phasing_that_does_not_add_up_is_refused(cast: Cast, fy: int) -> None:
    with pytest.raises(DomainError) as exc:
        services.save_draft(
            seller=cast.seller, fiscal_year=fy, amount=120_000, months=[100_00] * 11 + [99_00]
        )
    assert exc.value.code == "phasing_mismatch"
    o = services.save_draft(
        seller=cast.seller, fiscal_year=fy, amount=120_000, months=[100_00] * 12
    )
    assert o.months == [100_00] * 12


def test_channel_split_over_100_is_refused(cast: Cast, fy: int) -> None:
    with pytest.raises(DomainError) as exc:
        services.save_draft(
            seller=cast.seller, fiscal_year=fy, amount=120_000, channel_split={"field": "100.5"}
        )
    assert exc.value.code == "split_over_100"
    o = services.save_draft(
        seller=cast.seller, fiscal_year=fy, amount=120_000, channel_split={"field": "60"}
    )
    assert o.channel_split == {"field": 6000}


def test_late_proposal_works_but_is_flagged(cast: Cast, fy: int) -> None:
    today = datetime.date.today()
    services.set_window(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today - datetime.timedelta(days=1),
    )
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=20_000_000)
    assert o.status == Status.AGREED
    assert o.is_late


def test_reconciliation_sums_agreed_and_pending(cast: Cast, fy: int) -> None:
    services.propose(seller=cast.seller, fiscal_year=fy, amount=15_000_000)  # agreed
    services.propose(seller=cast.other_seller, fiscal_year=fy, amount=1_000_000)  # pending
    data = selectors.reconciliation(cast.workspace, cast.company, fy)
    year = data["year"]
    assert year["target"] == 300_000_00
    assert year["agreed"] == 150_000_00
    assert year["proposed"] == 10_000_00
    assert year["gap"] == 150_000_00
    assert year["missing"] == 1  # the lead
    assert sum(m["agreed"] for m in data["months"]) == year["agreed"]
    assert sum(q["target"] for q in data["quarters"]) == year["target"]
    team = selectors.reconciliation(cast.workspace, cast.team, fy)["year"]
    assert team["target"] == 240_000_00
    assert team["agreed"] == 150_000_00


def test_reconciliation_query_count_is_bounded(
    cast: Cast, fy: int, django_assert_max_num_queries
) -> None:
    services.propose(seller=cast.seller, fiscal_year=fy, amount=15_000_000)
    with django_assert_max_num_queries(20):
        selectors.reconciliation(cast.workspace, cast.company, fy)


def test_gap_rules_never_change_objectives(cast: Cast, fy: int) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=15_000_000)
    before = (o.amount, o.version)
    preview = services.preview_gap_rule(
        workspace=cast.workspace,
        unit_id=cast.company.pk,
        fiscal_year=fy,
        kind="prorata",
        amount=100_000,
    )
    assert sum(r["amount"] for r in preview) == 1000_00
    rule = services.apply_gap_rule(
        actor=cast.executive,
        unit_id=cast.company.pk,
        fiscal_year=fy,
        kind="stretch",
        amount=50_000,
        sellers=[cast.seller],
    )
    assert rule.amount == 500_00
    assert StretchRequest.objects.get().seller == cast.seller
    assert Notification.objects.filter(recipient=cast.seller, kind="stretch").exists()
    services.apply_gap_rule(
        actor=cast.executive, unit_id=cast.company.pk, fiscal_year=fy, kind="reserve", amount=70_000
    )
    o.refresh_from_db()
    assert (o.amount, o.version) == before
    year = selectors.reconciliation(cast.workspace, cast.company, fy)["year"]
    assert year["reserve"] == 700_00
    assert year["gap_after_reserve"] == year["gap"] - 700_00


def test_check_in_needs_a_comment_when_confidence_drops(cast: Cast, fy: int) -> None:
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    monday = datetime.date(2030, 1, 7)
    services.check_in(objective=o, actor=cast.seller, confidence=8, day=monday)
    with pytest.raises(DomainError) as exc:
        services.check_in(
            objective=o, actor=cast.seller, confidence=5, day=monday + datetime.timedelta(days=7)
        )
    assert exc.value.code == "comment_required"
    services.check_in(
        objective=o,
        actor=cast.seller,
        confidence=5,
        comment="Lost a deal",
        day=monday + datetime.timedelta(days=7),
    )
    with pytest.raises(DomainError):
        services.check_in(objective=o, actor=cast.seller, confidence=11)
    with pytest.raises(PermissionDenied):
        services.check_in(objective=o, actor=cast.lead, confidence=5)


def test_plan_key_results_and_initiatives(cast: Cast, fy: int) -> None:
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    kr = services.add_key_result(
        objective=o,
        actor=cast.seller,
        name="New accounts",
        measure="count",
        target="12",
        unit="accounts",
    )
    assert str(kr.target) == "12.00"
    i = services.add_initiative(objective=o, actor=cast.seller, text="Trade fair")
    services.set_initiative_status(initiative=i, actor=cast.seller, status="done")
    with pytest.raises(DomainError):
        services.add_key_result(objective=o, actor=cast.seller, name="X", measure="", target="-1")


def test_remind_command_notifies_sellers_without_proposal(
    cast: Cast, fy: int, django_capture_on_commit_callbacks
) -> None:
    services.propose(seller=cast.seller, fiscal_year=fy, amount=15_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remind-objectives", "--workspace", "acme", "--fiscal-year", str(fy))
    reminded = set(
        Notification.objects.filter(kind="reminder").values_list("recipient_id", flat=True)
    )
    assert reminded == {cast.lead.pk, cast.other_seller.pk}


def test_email_is_in_the_recipients_language(
    cast: Cast, fy: int, django_capture_on_commit_callbacks
) -> None:
    cast.lead.user.language = "fr"
    cast.lead.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.propose(seller=cast.seller, fiscal_year=fy, amount=10_000_000)
    assert mail.outbox[-1].to == [cast.lead.user.email]


def test_versions_are_all_kept(cast: Cast, fy: int) -> None:
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=200_000, version=o.version)
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=300_000, version=o.version)
    assert list(
        ObjectiveVersion.objects.filter(objective=o)
        .order_by("number")
        .values_list("amount", flat=True)
    ) == [1000_00, 2000_00, 3000_00]
