"""In Chromium, the whole loop of the number diluted through the teams, one step after another
and every step through the pages: the executive sets the target, saves and publishes a cascade
that stops at teams and opens the teams' split; North's lead splits with a hold (the live sum)
and submits; the executive locks South and accepts North (the splits become the run's shares);
an admin moves the seller to South from the middle of the second quarter and "why my number"
says where the rest of the target went; the second quarter closes (the period reviews schedule,
started by the scheduler at a set clock); the seller, below their number, reviews the quarter;
South's lead answers, in French; the executive sees the reasons by team and by channel with the
amounts behind them, in English and in French.

Only the company (the cast, South's lead, one sale) and the clock of the close are set up
without the pages. Each step asserts the figures its page shows, so a step whose effect is
missing fails the test there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pacte.accounts.models import Membership
from pacte.lib.dates import format_day
from pacte.lib.money import format_money
from pacte.objectives.models import PeriodReview, ReviewStatus
from pacte.org.services import create_member, update_unit
from pacte.planning.models import (
    CascadeRun,
    Delegation,
    RunStatus,
    SplitStatus,
    TargetMove,
    TeamSplit,
)
from pacte.testing.cast import PASSWORD, Cast, build_cast

pytestmark = pytest.mark.browser

LABELS = {
    "en": {"email": "E-mail", "password": "Password", "login": "Log in"},
    "fr": {"email": "E-mail", "password": "Mot de passe", "login": "Se connecter"},
}


def _login(browser: Any, url: str, member: Membership, language: str = "en") -> Any:
    context = browser.new_context(locale="fr-FR" if language == "fr" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{url}/account/login/")
    labels = LABELS[language]
    page.get_by_label(labels["email"]).fill(member.user.email)
    page.get_by_label(labels["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=labels["login"], exact=True).click()
    page.wait_for_url(f"{url}/")
    return page


def _company() -> tuple[Cast, Membership, int]:
    """The cast, a lead for South (who has not split by the window's end), and a fiscal year
    that starts six months before this month: today is in its third quarter, its second quarter
    has just closed and the year is still open, whatever the day the test runs."""
    from django.utils import timezone

    cast = build_cast()
    today = timezone.localdate()
    cast.workspace.fiscal_year_start_month = (today.month - 7) % 12 + 1
    cast.workspace.save(update_fields=["fiscal_year_start_month"])
    assert cast.workspace.calendar.month_number_in_year(today) == 7
    south_lead = create_member(
        workspace=cast.workspace,
        actor=None,
        email="luc@acme.example",
        name="Luc Leader",
        roles={"lead", "seller"},
        unit=cast.other_team,
        joined_on=dt.date(2020, 1, 1),
        password=PASSWORD,
    )
    update_unit(unit=cast.other_team, actor=None, lead=south_lead)
    return cast, south_lead, cast.workspace.calendar.year_of(today)


def _sale(cast: Cast, day: dt.date, amount: str) -> None:
    """What the seller sold in the quarter, through the sales import."""
    from pacte.sales.import_jobs import ingest_records

    ingest_records(
        workspace=cast.workspace,
        actor=None,
        records=[
            (
                1,
                {
                    "external_id": "Q2-1",
                    "date": day.isoformat(),
                    "amount": amount,
                    "channel": "field",
                    "seller": cast.seller.user.email,
                },
            )
        ],
    )


def _close_quarter(cast: Cast, fy: int) -> int:
    """The scheduler's clock set to the period reviews schedule's next weekly slot (the
    schedule was set up today, so no earlier slot runs): the workspace's schedule starts that
    slot (its run, its job) as ``pacte scheduler`` would, for the quarter that closed last."""
    from django.utils import timezone

    from pacte.jobs import scheduler
    from pacte.jobs.models import RunStatus as JobRunStatus
    from pacte.jobs.models import Schedule, ScheduleRun
    from pacte.objectives.reviews import last_closed_quarter

    scheduler.ensure_schedules([cast.workspace])
    schedule = Schedule.objects.get(workspace=cast.workspace, kind="period_review", target="")
    upcoming = scheduler.next_slot(schedule, timezone.now())
    assert upcoming is not None
    slot = scheduler.due_slot(schedule, upcoming + dt.timedelta(minutes=5))
    assert slot == upcoming
    assert last_closed_quarter(cast.workspace, slot.date()) == (fy, 2)
    assert scheduler.start(schedule, slot)
    run = ScheduleRun.objects.get(workspace=cast.workspace, kind="period_review", due_at=slot)
    assert run.status == JobRunStatus.DONE, run.status
    return run.pk


@pytest.mark.django_db(transaction=True)
def test_team_loop_from_team_shares_to_the_reasons_of_a_missed_quarter(
    live_server: Any, browser: Any
) -> None:
    cast, south_lead, fy = _company()
    ws = cast.workspace
    url = live_server.url
    cal = ws.calendar
    q2_start = cal.quarter(fy, 2).bounds[0]
    moved_on = (q2_start + dt.timedelta(days=40)).replace(day=1)  # the quarter's 2nd month
    _sale(cast, moved_on + dt.timedelta(days=10), "30000")

    def money(amount: int, language: str = "en") -> str:
        return format_money(amount, "EUR", language)

    # 1. The executive sets the target, saves an equal cascade, publishes it through the
    # dialog and opens the teams' split: the run stops at teams.
    boss = _login(browser, url, cast.executive)
    boss.goto(f"{url}/targets/?year=FY{fy}")
    boss.locator("#id_amount").fill("1200000")
    boss.get_by_role("button", name="Save the target").click()
    boss.get_by_text(f"The target of FY{fy} is saved.").wait_for()
    boss.get_by_role("button", name="New cascade").click()
    boss.get_by_role("button", name="Save as draft").click()
    boss.get_by_text("Draft run #1 saved.").wait_for()
    boss.get_by_role("button", name="Publish as the reference…").click()
    boss.get_by_role("dialog").get_by_role("button", name="Publish run #1").click()
    boss.get_by_text(f"Run #1 is now the reference of FY{fy}.").wait_for()
    run = CascadeRun.objects.get(workspace=ws, fiscal_year=fy, number=1)
    assert run.status == RunStatus.PUBLISHED
    assert run.total == 1_200_000_00
    boss.get_by_role("button", name="Teams' split by the leads").click()
    boss.get_by_role("button", name="Open the teams' split").click()
    boss.get_by_text("The leads can now split their teams' shares.").wait_for()
    # four sellers at €300,000 each: North (Lea, Sam) and South (Olga, Luc) have €600,000
    north_row = boss.locator("#delegation-teams tr", has_text="North")
    assert money(600_000_00) in north_row.inner_text()
    assert north_row.get_attribute("data-state") == "pending"
    delegation = Delegation.objects.get(run=run)
    north = TeamSplit.objects.get(delegation=delegation, unit=cast.team)

    # 2. North's lead splits the share with a hold of €400,000 on Sam; the live sum is exact,
    # Submit is enabled, and the split is submitted.
    lead = _login(browser, url, cast.lead)
    lead.goto(f"{url}/targets/splits/")
    lead.get_by_role("link", name="North").click()
    assert lead.locator("#team-share").inner_text() == money(600_000_00)
    lead.locator("#live-sum[data-exact='1']").wait_for()
    lead.get_by_label("Hold for Sam Seller").fill("400,000.00")
    lead.locator("#split-preview tr", has_text="Lea Lead").get_by_role(
        "cell", name=money(200_000_00)
    ).wait_for()
    preview = lead.locator("#split-preview tr", has_text="Sam Seller").inner_text()
    assert money(400_000_00) in preview
    assert "held" in preview
    assert lead.locator("#live-sum").get_attribute("data-exact") == "1"
    assert money(600_000_00) in lead.locator("#live-sum").inner_text()
    lead.locator("#split-submit").click()
    lead.get_by_text("Your split of North is submitted.").wait_for()
    north.refresh_from_db()
    assert north.status == SplitStatus.SUBMITTED
    assert north.amounts == {str(cast.seller.uuid): 400_000_00, str(cast.lead.uuid): 200_000_00}

    # 3. The executive sees North done, accepts the submitted split, locks South (its lead
    # did not split): every team is done and the splits are the run's shares.
    boss.goto(f"{url}/targets/runs/{run.uuid}/delegation/")
    assert north_row.get_attribute("data-state") == "done"
    boss.get_by_role("button", name="Accept all submitted splits").click()
    boss.get_by_text("1 submitted split accepted.").wait_for()
    north.refresh_from_db()
    assert north.status == SplitStatus.ACCEPTED
    boss.locator("#delegation-teams tr", has_text="South").get_by_role(
        "button", name="Lock"
    ).click()
    boss.get_by_text("South is locked.").wait_for()
    boss.get_by_text("Every team is done").wait_for()
    assert boss.locator("#delegation-counts").inner_text().startswith("2 done")

    # 4. Sam's "why my number" says both levels.
    seller = _login(browser, url, cast.seller)
    seller.goto(f"{url}/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    levels = seller.locator("#levels").inner_text()
    assert f"The company gave your team North {money(600_000_00)}" in levels
    assert f"Lea Lead, lead of North, gave you {money(400_000_00)}" in levels
    assert "held at that amount" in levels

    # 5. An admin moves Sam to South from the quarter's second month (previewed, then saved);
    # the rest of Sam's target moves with him, and "why my number" says so.
    admin = _login(browser, url, cast.admin)
    admin.goto(f"{url}/people/{cast.seller.uuid}/move/")
    admin.get_by_label("New team").select_option(label="South")
    admin.get_by_label("Effective from").fill(moved_on.isoformat())
    admin.get_by_role("button", name="Preview what moves").click()
    admin.get_by_role("status").filter(has_text="Saving this move carries").wait_for()
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.get_by_text("Sam Seller was moved.").wait_for()
    move = TargetMove.objects.get(workspace=ws, seller=cast.seller)
    assert 0 < move.target_amount < 400_000_00
    seller.goto(f"{url}/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    moved = seller.get_by_text("of your target moved with you from North to South").inner_text()
    assert money(move.target_amount) in moved
    assert format_day(moved_on, "en") in moved

    # 6. The second quarter closes: the scheduler's period reviews slot of the week after asks
    # every seller below their number for a review.
    _close_quarter(cast, fy)
    review = PeriodReview.objects.get(workspace=ws, seller=cast.seller, fiscal_year=fy, quarter=2)
    assert review.unit == cast.other_team  # Sam is in South at the quarter's end
    assert review.actual == 30_000_00
    assert review.gap == review.committed - 30_000_00 > 0
    assert review.gap_by_channel == {"field": review.gap}

    # 7. Sam, below his number, writes the review: a reason from the list and text.
    seller.goto(f"{url}/objectives/reviews/?fy={fy}")
    seller.get_by_role("link", name=f"Q2 FY{fy}").click()
    assert money(review.gap) in seller.locator("main").inner_text()
    seller.get_by_role("button", name="Send my review").click()
    seller.get_by_text("Choose at least one reason.").wait_for()  # a refusal, nothing written
    seller.get_by_label("Pipeline slipped").check()
    seller.get_by_label("What happened").fill("Two deals slipped to July")
    seller.get_by_label("What I change next quarter").fill("Follow up every quote within a week")
    seller.get_by_role("button", name="Send my review").click()
    seller.get_by_text("Review sent to your lead.").wait_for()
    review.refresh_from_db()
    assert (review.status, review.reasons) == (ReviewStatus.SUBMITTED, ["pipeline_slipped"])

    # 8. South's lead (Sam's lead since the move) answers, in French.
    luc = _login(browser, url, south_lead, "fr")
    luc.goto(f"{url}/objectives/reviews/?fy={fy}")
    luc.get_by_text("1 bilan attend votre réponse.").wait_for()
    luc.get_by_role("link", name="Sam Seller").click()
    assert luc.get_by_test_id("reasons").inner_text() == "Pipeline décalé"
    assert money(review.gap, "fr") in luc.locator("main").inner_text()
    luc.get_by_label("Votre réponse ou vos conseils").fill("On revoit les devis jeudi")
    luc.get_by_role("button", name="Envoyer la réponse").click()
    luc.get_by_test_id("answer").filter(has_text="On revoit les devis jeudi").wait_for()
    assert luc.get_by_test_id("review-status").inner_text() == "Répondu"
    # North's lead no longer answers for Sam
    lead.goto(f"{url}/objectives/reviews/{review.uuid}/")
    assert lead.get_by_role("button", name="Send the answer").count() == 0

    # 9. The executive sees the reasons by team and by channel, with the amounts behind them,
    # in English and in French.
    boss.goto(f"{url}/objectives/reviews/summary/?fy={fy}&quarter=2&by=team")
    south = boss.locator("table", has=boss.locator("caption", has_text="South"))
    assert south.locator("caption").inner_text() == f"South · {money(review.gap)}"
    row = south.locator("tbody tr", has_text="Pipeline slipped").inner_text()
    assert money(review.gap) in row
    assert boss.locator("caption", has_text="North").count() == 0
    boss.get_by_label("By").select_option("channel")
    boss.get_by_role("button", name="Show").click()
    field = boss.locator("table", has=boss.locator("caption", has_text="Field"))
    assert field.locator("caption").inner_text() == f"Field · {money(review.gap)}"
    assert "0 waiting for the lead · 1 answered" in boss.locator("hgroup").inner_text()
    boss_fr = _login(browser, url, cast.executive, "fr")
    boss_fr.goto(f"{url}/objectives/reviews/summary/?fy={fy}&quarter=2&by=channel")
    terrain = boss_fr.locator("table", has=boss_fr.locator("caption", has_text="Terrain"))
    assert terrain.locator("caption").inner_text() == f"Terrain · {money(review.gap, 'fr')}"
    assert money(review.gap, "fr") != money(review.gap)  # French grouping and sign after
    assert "Pipeline décalé" in terrain.locator("tbody").inner_text()
