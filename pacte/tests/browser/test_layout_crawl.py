"""Every page of every role fits the window and passes an automated WCAG 2.1 A/AA audit.

The demo company (the generator of ``make run``) is loaded once; each role logs in once and
visits its home page, every page linked from its menu and home page, and the pages those link to
(one page per kind), in English and French, each at 390, 1024 and 1440 px (see
``pacte/testing/crawl.py`` for what is checked). Then the phone menu and the skip link are
driven with the keyboard alone.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from pacte.samples import demo
from pacte.testing import crawl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ("executive", "lead", "seller", "admin")

#: Kinds of page each role must reach (so that a broken menu cannot make the crawl pass).
MUST_VISIT = {
    "executive": {
        "/",
        "/objectives/inbox/",
        "/objectives/reconciliation/",
        "/objectives/check-ins/",
        "/objectives/reviews/",
        "/insights/",
        "/insights/teams/<uuid>/",
        "/insights/sellers/<uuid>/",
        "/targets/",
        "/targets/cascade/",
        "/sales/",
        "/people/",
        "/org/structure/",
        "/audit/",
    },
    "lead": {
        "/",
        "/objectives/",
        "/objectives/inbox/",
        "/objectives/reconciliation/",
        "/objectives/check-ins/",
        "/insights/",
    },
    "seller": {
        "/",
        "/objectives/",
        "/objectives/mine/",
        "/objectives/inbox/",
        "/objectives/reviews/",
        "/objectives/o/<uuid>/plan/",
        "/insights/me/",
        "/insights/",
    },
    "admin": {"/", "/people/", "/sales/", "/audit/", "/targets/"},
}


def _load_demo() -> dict[str, str]:
    """The demo company with this year's check-ins and notifications, and a delayering draft."""
    from pacte.accounts.models import Workspace
    from pacte.objectives import services as objectives
    from pacte.objectives.models import Objective, Status
    from pacte.org.services import save_proposal

    plan = demo.generate(seed=7, sellers=40)
    workspace = demo.load(plan)
    assert isinstance(workspace, Workspace)
    demo.load_sales(plan, workspace, seed=7)
    with override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    ):
        demo.load_plans(workspace)
    logins = dict(plan.logins())
    this_year = workspace.calendar.year_of(timezone.localdate())
    agreed = (
        Objective.objects.for_workspace(workspace)
        .filter(status=Status.AGREED, fiscal_year=this_year)
        .select_related("seller", "seller__user", "workspace")
    )
    for n, objective in enumerate(agreed.order_by("pk")[:12]):
        if objective.seller.user.email == logins["seller"]:
            continue  # the demo seller's check-in of this week is due, as on Monday morning
        objectives.check_in(
            objective=objective,
            actor=objective.seller,
            confidence=4 + n % 6,
            comment="Two renewals slipped to next month." if n % 3 == 0 else "",
            day=timezone.localdate() - datetime.timedelta(days=7 * (n % 2)),
        )
        objectives.notify(
            recipient=objective.seller,
            kind="agreed",
            params={"actor": "Élodie Durand", "amount": objective.amount, "fy": this_year},
        )
    _review_last_quarter(workspace, logins)
    save_proposal(
        workspace=workspace,
        actor=None,
        name="Two layers",
        shape={"max_layers": 2, "span_min": 3, "span_max": 9},
        based_on=timezone.localdate(),
        moves=[],
    )
    return logins


def _review_last_quarter(workspace: Any, logins: dict[str, str]) -> None:
    """Reviews of the quarter that closed last: asked of everyone below, one written, one of
    those answered by its lead."""
    from pacte.objectives import reviews, selectors
    from pacte.objectives.models import PeriodReview

    fy, quarter = reviews.last_closed_quarter(workspace, timezone.localdate())
    with override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    ):
        reviews.request_reviews(workspace=workspace, fiscal_year=fy, quarter=quarter)
        asked = PeriodReview.objects.for_workspace(workspace).select_related("seller")
        for n, review in enumerate(asked.order_by("pk")[:6]):
            reviews.submit_review(
                review=review,
                actor=review.seller,
                reasons=["pipeline_slipped", "pricing"] if n % 2 else ["absence"],
                text="Two renewals slipped to next quarter.",
                next_change="Qualify the pipeline earlier.",
            )
            lead = next(
                (
                    m
                    for m in type(review.seller).objects.filter(workspace=workspace, is_lead=True)
                    if selectors.reviews_answerable_by(m).filter(pk=review.pk).exists()
                ),
                None,
            )
            if lead is not None and n % 3 == 0:
                reviews.answer_review(review=review, actor=lead, answer="Let's talk on Thursday.")


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_fits_every_width_and_passes_the_audit(
    live_server: Any, tab: Any, language: str
) -> None:
    """One test per language, so that the SQLite pass's workers share the crawl."""
    logins = _load_demo()
    report = crawl.Report()
    seen: set[str] = set()
    visited: dict[str, set[str]] = {}
    start = time.perf_counter()
    crawl.set_language(tab, live_server.url, language)  # the page everyone sees first
    crawl.visit(tab, live_server.url, report, "anonymous", language, "/account/login/")
    for role in ROLES:
        crawl.login(tab, live_server.url, logins[role], demo.DEMO_PASSWORD)
        paths = crawl.crawl_role(
            tab, live_server.url, role, (language,), report=report, skip_routes=seen
        )
        visited[role] = {crawl.route_of(p) for p in paths}
        seen |= visited[role]
    elapsed = time.perf_counter() - start
    print(
        f"\nLayout crawl ({language}): {len(report.visits)} page views ({len(report.checked)} distinct) "
        f"in {elapsed:.0f} s"
    )
    print("\n".join(report.pages()))

    assert not report.problems, "\n" + "\n".join(str(p) for p in report.problems)
    for role, routes in MUST_VISIT.items():
        assert routes <= visited[role], (role, sorted(routes - visited[role]))


def _focused(page: Any) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || e.className || e.tagName.toLowerCase(); }"
        )
    )


def test_a_phone_is_used_with_the_keyboard_alone(live_server: Any, tab: Any) -> None:
    """At 390 px: the skip link, the menu button (Enter opens it, Escape closes it and gives
    the focus back), a scrolling table that takes the focus and scrolls with the arrow keys,
    and axe with every rule (colour contrast included) on the open menu and the table."""
    from pacte.objectives.models import Objective
    from pacte.testing.cast import PASSWORD, build_cast

    cast = build_cast()
    Objective.objects.create(
        workspace=cast.workspace,
        seller=cast.seller,
        fiscal_year=2031,
        amount=1_234_567_00,
        reference_amount=1_200_000_00,
        status="proposed",
        handler=cast.lead,
        proposed_at=timezone.now(),
    )
    url = live_server.url
    tab.set_viewport_size({"width": 390, "height": 844})
    crawl.login(tab, url, cast.lead.user.email, PASSWORD)
    tab.goto(f"{url}/objectives/inbox/")

    tab.keyboard.press("Tab")
    assert _focused(tab) == "skip-link"
    assert tab.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    tab.keyboard.press("Enter")
    assert _focused(tab) == "main"

    menu = tab.locator("[data-site-menu]")
    reconciliation = tab.get_by_role("link", name="Reconciliation")
    assert tab.locator("summary.menu-button").is_visible()
    assert not reconciliation.is_visible()
    tab.locator("summary.menu-button").focus()
    tab.keyboard.press("Enter")
    assert menu.get_attribute("open") is not None
    assert reconciliation.is_visible()
    assert tab.get_by_role("link", name="Inbox").get_attribute("aria-current") == "page"
    assert crawl.axe(tab, url) == []
    tab.keyboard.press("Tab")
    assert tab.evaluate("() => document.activeElement.textContent.trim()") == "Home"
    tab.keyboard.press("Escape")
    assert menu.get_attribute("open") is None
    assert "menu-button" in _focused(tab)

    region = tab.get_by_role("region", name="Table: Proposals waiting for your decision")
    region.focus()
    assert region.evaluate("(box) => box.scrollWidth > box.clientWidth")
    tab.keyboard.press("ArrowRight")
    tab.wait_for_function("() => document.activeElement.scrollLeft > 0")
    assert tab.locator(".scroll-hint").first.is_visible()
    assert crawl.axe(tab, url) == []
    assert crawl.problems_here(tab, url) == []
