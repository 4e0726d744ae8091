"""Guard rails of the targets: publishing a run shows what changes and asks to confirm;
changing the target after a publication says the reference no longer matches it and offers
to re-run with the same inputs (pages and API)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.planning import selectors, services
from pacte.planning.models import CascadeRun, RunStatus, SellerExplanation
from pacte.planning.runs import create_run, publish_run, rerun_for_target


def _shares(run: CascadeRun) -> dict[str, int]:
    return dict(SellerExplanation.objects.filter(run=run).values_list("seller__name", "amount"))


@pytest.fixture
def runs(cast, fy, target):
    """Run #1 (equal split) published; draft #2 keeps Sam's share (a hold), excludes Olga: Lea
    goes up, Olga down, Sam is unchanged."""
    first = create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    publish_run(run=first, actor=None)
    sam = _shares(first)["Sam Seller"]
    second = create_run(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        parameters={
            "holds": {str(cast.seller.uuid): sam},
            "exclusions": [str(cast.other_seller.uuid)],
        },
    )
    first.refresh_from_db()
    return first, second


def test_the_diff_counts_and_ranks_what_changes(cast, runs) -> None:
    first, second = runs
    before, after = _shares(first), _shares(second)
    diff = selectors.publish_diff(second)
    assert diff.reference == first
    assert (diff.raised, diff.lowered, diff.unchanged, diff.sellers) == (1, 1, 1, 3)
    assert [(c.name, c.before, c.after) for c in diff.largest_up] == [
        ("Lea Lead", before["Lea Lead"], after["Lea Lead"])
    ]
    assert [(c.name, c.delta) for c in diff.largest_down] == [
        ("Olga Other", after["Olga Other"] - before["Olga Other"])
    ]
    assert diff.total_delta == 0


def test_the_first_publication_gives_everyone_a_first_share(cast, fy, target) -> None:
    run = create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    diff = selectors.publish_diff(run)
    assert diff.reference is None
    assert (diff.sellers, diff.raised, diff.added, diff.before_total) == (3, 3, 3, 0)


def test_publish_page_shows_the_changes_before_anything_is_published(cast, login, runs) -> None:
    first, second = runs
    client = login(cast.executive)
    page = client.get(f"/targets/runs/{second.uuid}/").content.decode()
    assert f'href="/targets/runs/{second.uuid}/publish/"' in page  # a link, works without JS
    response = client.get(f"/targets/runs/{second.uuid}/publish/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Run #2 replaces run #1 as the reference of FY" in body
    assert "2 sellers of 3 change" in body
    assert "1 up, 1 down, 1 unchanged." in body
    assert "The total stays €1,000,000." in body
    assert "Lea Lead" in body
    assert "Olga Other" in body
    assert "Sam Seller" not in body.split('data-testid="publish-summary"')[1]
    assert f'name="replaces" value="{first.uuid}"' in body
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT


def test_publish_dialog_with_htmx(cast, login, runs) -> None:
    _, second = runs
    response = login(cast.executive).get(
        f"/targets/runs/{second.uuid}/publish/", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith("<dialog open")
    assert '<form method="dialog">' in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_publish_page_in_french(cast, login, runs) -> None:
    _, second = runs
    cast.executive.user.language = "fr"
    cast.executive.user.save()
    body = login(cast.executive).get(f"/targets/runs/{second.uuid}/publish/").content.decode()
    assert "Le total reste de 1\u202f000\u202f000\u00a0€." in body
    assert "1 en hausse, 1 en baisse, 1 sans changement." in body


def test_a_post_that_skipped_the_confirmation_is_sent_to_it(cast, login, runs) -> None:
    _, second = runs
    client = login(cast.executive)
    response = client.post(f"/targets/runs/{second.uuid}/publish/", {"version": second.version})
    assert response.status_code == 302
    assert response["Location"] == f"/targets/runs/{second.uuid}/publish/"
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT


def test_confirming_publishes_with_an_audit_event(cast, login, runs) -> None:
    first, second = runs
    client = login(cast.executive)
    response = client.post(
        f"/targets/runs/{second.uuid}/publish/",
        {"version": second.version, "replaces": str(first.uuid)},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.status, first.status) == (RunStatus.PUBLISHED, RunStatus.SUPERSEDED)
    event = AuditEvent.objects.filter(action="cascade.published").latest("id")
    assert event.before == {"reference": str(first.uuid)}


def test_confirming_changes_nobody_saw_is_refused(cast, login, runs, fy) -> None:
    first, second = runs
    third = create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    publish_run(run=third, actor=None)  # published by someone else meanwhile
    second.refresh_from_db()
    client = login(cast.executive)
    response = client.post(
        f"/targets/runs/{second.uuid}/publish/",
        {"version": second.version, "replaces": str(first.uuid)},
        follow=True,
    )
    assert "review them again" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/targets/runs/{second.uuid}/publish/"
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT


def test_publish_page_reads_a_fixed_number_of_queries(
    cast, login, runs, django_assert_max_num_queries
) -> None:
    from pacte.testing.cast import _member

    _, second = runs
    client = login(cast.executive)
    with django_assert_max_num_queries(14):
        assert client.get(f"/targets/runs/{second.uuid}/publish/").status_code == 200
    for i in range(20):
        _member(cast.workspace, f"s{i}@acme.example", f"Seller {i:02d}", {"seller"}, cast.team)
    third = create_run(
        workspace=cast.workspace, actor=None, fiscal_year=second.fiscal_year, parameters={}
    )
    with django_assert_max_num_queries(14):
        assert client.get(f"/targets/runs/{third.uuid}/publish/").status_code == 200


# --------------------------------------------------------------------------- target drift


def _change_target(cast, fy, amount: int):
    target = selectors.company_target(cast.executive, fy)
    return services.set_company_target(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        amount=amount,
        version=target.version if target else None,
    )


def test_changing_the_target_says_the_reference_no_longer_matches(cast, login, runs, fy) -> None:
    first, _ = runs
    client = login(cast.executive)
    response = client.post(
        "/targets/target/", {"year": f"FY{fy}", "amount": "1200000", "version": 1}, follow=True
    )
    notice = "The published run #1 cascades €1,000,000; the target is now €1,200,000."
    body = response.content.decode()
    assert body.count(notice) == 2  # the flash message and the notice of the page
    assert f'action="/targets/runs/{first.uuid}/rerun/"' in body
    run_page = client.get(f"/targets/runs/{first.uuid}/").content.decode()
    assert notice in run_page
    editor = client.get(f"/targets/cascade/?year=FY{fy}").content.decode()
    assert notice in editor
    seller_view = login(cast.seller).get(f"/targets/?year=FY{fy}").content.decode()
    assert notice in seller_view
    assert "/rerun/" not in seller_view


def test_no_notice_while_the_target_matches(cast, login, runs, fy) -> None:
    body = login(cast.executive).get(f"/targets/?year=FY{fy}").content.decode()
    assert 'data-testid="target-drift"' not in body


def test_drift_notice_in_french(cast, login, runs, fy) -> None:
    _change_target(cast, fy, 1_200_000_00)
    cast.executive.user.language = "fr"
    cast.executive.user.save()
    body = login(cast.executive).get(f"/targets/?year=FY{fy}").content.decode()
    assert (
        "L'exécution publiée #1 répartit 1\u202f000\u202f000\u00a0€\u00a0; "
        "la cible est maintenant de 1\u202f200\u202f000\u00a0€." in body
    )


def test_rerun_with_the_new_target_makes_a_draft_with_the_same_inputs(
    cast, login, runs, fy
) -> None:
    first, _ = runs
    _change_target(cast, fy, 1_200_000_00)
    client = login(cast.executive)
    response = client.post(f"/targets/runs/{first.uuid}/rerun/")
    new = CascadeRun.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/targets/runs/{new.uuid}/"
    assert (new.status, new.total, new.parameters) == (
        RunStatus.DRAFT,
        1_200_000_00,
        first.parameters,
    )
    assert sum(_shares(new).values()) == 1_200_000_00
    event = AuditEvent.objects.filter(action="cascade.created").latest("id")
    assert event.after["rerun_of"] == str(first.uuid)
    assert event.actor == cast.executive
    # publishing it then shows the raise of every seller
    diff = selectors.publish_diff(new)
    assert diff.total_delta == 200_000_00
    assert diff.raised == 3


def test_rerun_a_later_month_re_run_keeps_its_past_months(cast, fy, target) -> None:
    first = create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    publish_run(run=first, actor=None)
    later = create_run(
        workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={"effective_from": 7}
    )
    publish_run(run=later, actor=None)
    _change_target(cast, fy, 1_100_000_00)
    later.refresh_from_db()
    new = rerun_for_target(run=later, actor=cast.executive)
    assert (new.total, new.effective_from, new.base_run_id) == (1_100_000_00, 7, later.pk)


def test_rerun_is_refused_when_nothing_changed_or_for_a_draft(cast, login, runs) -> None:
    first, second = runs
    client = login(cast.executive)
    response = client.post(f"/targets/runs/{first.uuid}/rerun/", follow=True)
    assert "nothing to re-run" in response.content.decode()
    response = client.post(f"/targets/runs/{second.uuid}/rerun/", follow=True)
    assert "Only the published run" in response.content.decode()
    assert CascadeRun.objects.count() == 2


# --------------------------------------------------------------------------- API


def _post(client: Client, url: str, body: object = None):
    return client.post(
        url, data=json.dumps(body) if body is not None else b"", content_type="application/json"
    )


def test_api_diff_matches_the_page_and_guards_the_publication(cast, runs, fy, api_client) -> None:
    first, second = runs
    client = api_client(cast.executive)
    data = client.get(f"/api/v1/targets/runs/{second.uuid}/diff").json()
    assert data["reference"] == str(first.uuid)
    assert (data["raised"], data["lowered"], data["unchanged"], data["changed"]) == (1, 1, 1, 2)
    assert [r["seller_name"] for r in data["largest_up"]] == ["Lea Lead"]
    assert data["largest_down"][0]["delta"] < 0
    assert client.get(f"/api/v1/targets/runs/{second.uuid}/diff?limit=0").status_code == 400

    third = create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    publish_run(run=third, actor=None)
    r = _post(
        client, f"/api/v1/targets/runs/{second.uuid}/publish", {"replaces": data["reference"]}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "reference_changed"
    fresh = client.get(f"/api/v1/targets/runs/{second.uuid}/diff").json()
    r = _post(
        client, f"/api/v1/targets/runs/{second.uuid}/publish", {"replaces": fresh["reference"]}
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "published"


def test_api_publish_stays_one_call(cast, runs, api_client) -> None:
    _, second = runs
    r = _post(api_client(cast.executive), f"/api/v1/targets/runs/{second.uuid}/publish")
    assert r.status_code == 200
    assert r.json()["status"] == "published"


def test_api_target_says_whether_the_reference_matches_and_reruns(
    cast, runs, fy, api_client
) -> None:
    first, _ = runs
    client = api_client(cast.executive)
    data = client.get(f"/api/v1/targets/company-target?year=FY{fy}").json()
    assert data["reference_matches"] is True
    assert data["reference"] == {"uuid": str(first.uuid), "number": 1, "total": 1_000_000_00}
    r = client.generic(
        "PUT",
        "/api/v1/targets/company-target",
        json.dumps({"year": f"FY{fy}", "amount": 900_000_00, "version": data["version"]}),
        content_type="application/json",
    )
    assert r.json()["reference_matches"] is False
    r = _post(client, f"/api/v1/targets/runs/{first.uuid}/rerun")
    assert r.status_code == 201, r.content
    assert (r.json()["status"], r.json()["total"]) == ("draft", 900_000_00)
    assert r.json()["parameters"] == first.parameters
    r = _post(client, f"/api/v1/targets/runs/{r.json()['uuid']}/rerun")
    assert r.json()["code"] == "not_published"


def test_messages_are_translated(cast, runs) -> None:
    with translation.override("fr"):
        from pacte.errors import DomainError

        first, _ = runs
        with pytest.raises(DomainError) as exc:
            rerun_for_target(run=first, actor=None)
        assert "il n'y a rien à relancer" in exc.value.message
