"""Pages: my objective (draft, propose, bad input kept, stale refused), htmx phasing, decision,
inbox, policy, reconciliation (query count pinned), plan and team check-ins."""

from __future__ import annotations

import pytest

from pacte.objectives import services
from pacte.objectives.models import Objective, Status
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")


def form(amount: str, months: list[str] | None = None, **extra: str) -> dict[str, str]:
    data = {"amount": amount, "narrative": "Because", **extra}
    for i, value in enumerate(months or [], start=1):
        data[f"month_{i}"] = value
    return data


def test_my_objective_page_shows_reference_and_history(cast: Cast, fy: int, login) -> None:
    r = login(cast.seller).get(f"/objectives/mine/?fy={fy}")
    assert r.status_code == 200
    assert "120,000" in r.content.decode()
    assert r.context["realism"].figures.low > 0


def test_fiscal_years_are_labelled_in_the_members_language(cast: Cast, fy: int, login) -> None:
    cast.seller.user.language = "fr"
    cast.seller.user.save()
    page = login(cast.seller).get(f"/objectives/mine/?fy={fy}").content.decode()
    assert f"<strong>Ex. {fy}</strong>" in page  # the year navigation, not a raw FY key
    assert f">FY{fy}<" not in page


def test_propose_at_reference_from_the_page(cast: Cast, fy: int, login) -> None:
    client = login(cast.seller)
    r = client.post(
        f"/objectives/mine/?fy={fy}",
        {**form("130000", ["10833.33"] * 11 + ["10833.37"]), "action": "propose"},
    )
    assert r.status_code == 302
    assert Objective.objects.get(seller=cast.seller).status == Status.AGREED


def test_bad_input_keeps_what_was_typed(cast: Cast, fy: int, login) -> None:
    client = login(cast.seller)
    r = client.post(f"/objectives/mine/?fy={fy}", {**form("-10"), "action": "save"})
    assert r.status_code == 422
    assert "cannot be negative" in r.content.decode()
    assert 'value="-10"' in r.content.decode()
    r = client.post(
        f"/objectives/mine/?fy={fy}", {**form("1200", ["100"] * 11 + ["99"]), "action": "save"}
    )
    assert r.status_code == 400
    assert "add up to" in r.content.decode()
    assert not Objective.objects.exists()


def test_stale_page_save_is_refused_with_a_message(cast: Cast, fy: int, login) -> None:
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=120_000)
    services.save_draft(seller=cast.seller, fiscal_year=fy, amount=240_000, version=o.version)
    r = login(cast.seller).post(
        f"/objectives/mine/?fy={fy}",
        {**form("3600", ["300"] * 12), "version": str(o.version), "action": "save"},
    )
    assert r.status_code == 412
    assert "Someone changed" in r.content.decode()
    assert 'value="3600"' in r.content.decode()


def test_htmx_phasing_keeps_the_total_consistent(cast: Cast, fy: int, login) -> None:
    client = login(cast.seller)
    r = client.post(
        f"/objectives/mine/phasing/?fy={fy}",
        form("1200", ["0"] * 12),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="amount",
    )
    assert r.status_code == 200
    assert r.context["phasing"]["ok"]
    assert r["Vary"].find("HX-Request") >= 0
    r = client.post(
        f"/objectives/mine/phasing/?fy={fy}",
        form("1200", ["100"] * 11 + ["200"]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="month_12",
    )
    assert r.context["data"]["amount"] == "1300"


def test_lead_returns_from_the_decision_page(cast: Cast, fy: int, login) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000)
    client = login(cast.lead)
    assert o.seller.name in client.get("/objectives/inbox/").content.decode()
    r = client.post(
        f"/objectives/o/{o.uuid}/decide/",
        {"decision": "return", "reason": "", "version": o.version},
    )
    assert r.status_code == 400
    assert "Give a reason" in r.content.decode()
    r = client.post(
        f"/objectives/o/{o.uuid}/decide/",
        {"decision": "return", "reason": "Low", "version": o.version},
    )
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.status == Status.RETURNED


def test_policy_page_saves(cast: Cast, login) -> None:
    client = login(cast.executive)
    assert client.get("/objectives/policy/").status_code == 200
    r = client.post(
        "/objectives/policy/",
        {"form": "policy", "auto_agree": "on", "tolerance_pct": "abc", "version": "1"},
    )
    assert r.status_code == 400
    r = client.post(
        "/objectives/policy/",
        {"form": "policy", "auto_agree": "on", "tolerance_pct": "5", "version": "1"},
    )
    assert r.status_code == 302
    assert services.policy_of(cast.workspace).tolerance_pct == 5


def test_policy_page_sets_a_window_and_refuses_bad_input(cast: Cast, login) -> None:
    from pacte.objectives.models import Window

    client = login(cast.executive)
    window = {"form": "window", "fiscal_year": "2031", "opens_on": "2030-11-01"}
    r = client.post("/objectives/policy/", {**window, "closes_on": "2030-12-15"})
    assert r.status_code == 302
    saved = Window.objects.for_workspace(cast.workspace).get(fiscal_year=2031)
    assert (saved.opens_on.isoformat(), saved.closes_on.isoformat()) == ("2030-11-01", "2030-12-15")
    r = client.post("/objectives/policy/", {**window, "closes_on": "15/12/2030"})
    assert r.status_code == 400
    assert "Enter a date (YYYY-MM-DD)." in r.content.decode()
    r = client.post(
        "/objectives/policy/", {**window, "fiscal_year": "FY2031", "closes_on": "2030-12-15"}
    )
    assert r.status_code == 400
    assert "Enter the fiscal year as a number, e.g. 2027." in r.content.decode()
    assert Window.objects.for_workspace(cast.workspace).count() == 1


def test_reconciliation_page_query_count(
    cast: Cast, fy: int, login, django_assert_max_num_queries
) -> None:
    services.propose(seller=cast.seller, fiscal_year=fy, amount=15_000_000)
    client = login(cast.executive)
    with django_assert_max_num_queries(40):
        r = client.get(f"/objectives/reconciliation/?fy={fy}")
    assert r.status_code == 200
    assert r.context["year"]["agreed"] == 150_000_00
    r = client.post(
        f"/objectives/reconciliation/?fy={fy}",
        {"kind": "reserve", "amount": "10", "apply": "0", "unit": str(cast.company.uuid)},
    )
    assert r.status_code == 200
    assert r.context["preview"] == []


def test_lead_reconciles_own_team_only(cast: Cast, fy: int, login) -> None:
    client = login(cast.lead)
    assert client.get(f"/objectives/reconciliation/?fy={fy}").context["unit"] == cast.team
    assert (
        client.get(f"/objectives/reconciliation/?fy={fy}&unit={cast.other_team.uuid}").status_code
        == 404
    )


def test_plan_page_and_team_check_ins(cast: Cast, fy: int, login) -> None:
    o = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    client = login(cast.seller)
    assert (
        client.post(
            f"/objectives/o/{o.uuid}/plan/", {"action": "check_in", "confidence": "6"}
        ).status_code
        == 302
    )
    r = login(cast.lead).get(f"/objectives/check-ins/?fy={fy}")
    assert r.status_code == 200
    assert cast.seller.name in r.content.decode()


def test_home_has_the_objective_card(cast: Cast, login) -> None:
    assert "My objective" in login(cast.seller).get("/").content.decode()
