"""The daily jobs of every role, walked through the real pages in Chromium, in French and in
English; every page the walk passes is checked at 390 and 1440 px (no page wider than the
window, no table cell that clips its text, no axe-core WCAG 2.1 A/AA violation: see
``pacte/testing/crawl.py``) and, in French, for English sentences left untranslated.

- executive: types the company target with the language's decimal mark, saves a cascade that
  holds one seller, publishes it from the confirmation page, previews a pro-rata gap rule;
- seller: proposes an objective typed with the language's decimal mark, adds a key result and
  an initiative to the plan, checks in;
- lead: returns one proposal from the inbox and agrees another;
- admin: imports a French split-credit CSV (semicolons, decimal commas, a "Crédit" column)
  through the mapping page and sees the split on the result and sales pages.

What each step stores is checked in the database against figures computed here, from what
was typed and from the file, never read back from the pages. One browser context per role.
"""

from __future__ import annotations

import csv
import datetime
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from pacte.accounts.models import Membership
from pacte.lib.money import format_money, format_money_input, format_number, format_percent
from pacte.objectives import services as objectives
from pacte.objectives.models import CheckIn, GapRule, Initiative, KeyResult, Objective, Status
from pacte.org.services import create_member
from pacte.planning.models import CascadeRun, CascadeShare, CompanyTarget, RunStatus
from pacte.sales.models import CubeCell, Sale
from pacte.testing import crawl
from pacte.testing.cast import PASSWORD, Cast, build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1440)
EUR = "EUR"

#: What people type, in each language's way.
TYPED = {
    "fr": {
        "target": "1 234 567,50",
        "hold": "400 000",
        "gap": "500 000",
        "proposal": "250\u00a0000,50",
        "key_result": "1 250,5",
    },
    "en": {
        "target": "1,234,567.50",
        "hold": "400,000",
        "gap": "500,000",
        "proposal": "250,000.50",
        "key_result": "1,250.5",
    },
}
TARGET = 1_234_567_50
HOLD = 400_000_00
GAP = 500_000_00
PROPOSAL = 250_000_50
OTHER_PROPOSAL = 260_000_00

#: Words of the pages, as each language shows them.
WORDS = {
    "fr": {
        "proposed": "Proposé",
        "returned": "Renvoyé",
        "agreed": "Validé",
        "propose": "Proposer",
        "return": "Renvoyer avec un motif",
        "agree": "Valider",
        "saved": "est enregistrée",
        "published": "est désormais la référence",
        "imported": "3 nouvelle(s)",
    },
    "en": {
        "proposed": "Proposed",
        "returned": "Returned",
        "agreed": "Agreed",
        "propose": "Propose",
        "return": "Return with reason",
        "agree": "Agree",
        "saved": "is saved",
        "published": "is now the reference",
        "imported": "3 new",
    },
}


def _sale_dates() -> list[datetime.date]:
    """Three days of last month, after the 12th (day first, the only way they read)."""
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    return [last_month.replace(day=day) for day in (20, 21, 24)]


def french_split_file(cast: Cast, noe: Membership) -> tuple[bytes, list[dict[str, Any]]]:
    """A French CRM export: Windows-1252, semicolons, day-first dates, decimal commas with
    spaces between thousands, a "Crédit" column of ``e-mail:percent`` pairs (empty: all to
    the seller named); and the sales as the file means them."""
    seller, other, lead = (m.user.email for m in (cast.seller, cast.other_seller, cast.lead))
    d1, d2, d3 = (d.strftime("%d/%m/%Y") for d in _sale_dates())
    text = (
        "N° de facture;Date de facture;Montant HT;Canal;Commercial;Crédit;Client\n"
        f'F-1001;{d1};1 234,50;Terrain;{seller};"{seller}:60;{other}:40";Dupont SA\n'
        f"F-1002;{d2};99,90;Terrain;{other};;Durand\n"
        f'F-1003;{d3};10 000,00;Terrain;{noe.user.email};"{noe.user.email}:75;{lead}:25";Martin\n'
    )
    sales = []
    for line in text.splitlines()[1:]:
        cells = next(csv.reader([line], delimiter=";"))
        number, _date, amount, _channel, named, credit, _customer = cells
        minor = int(Decimal(amount.replace(" ", "").replace(",", ".")) * 100)
        parts = [p.rsplit(":", 1) for p in credit.split(";")] if credit else [[named, "100"]]
        sales.append(
            {
                "id": number,
                "amount": minor,
                "shares": {email: int(pct) * 100 for email, pct in parts},  # basis points
            }
        )
    return text.encode("cp1252"), sales


def _credited(sales: list[dict[str, Any]]) -> dict[str, int]:
    """Each seller's credited total (the file's shares are exact to the cent here)."""
    totals: dict[str, int] = {}
    for sale in sales:
        for email, bp in sale["shares"].items():
            part = Decimal(sale["amount"]) * bp / 10_000
            assert part == part.to_integral_value(), "choose amounts that split exactly"
            totals[email] = totals.get(email, 0) + int(part)
    return totals


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}")


def _english_sentences() -> list[str]:
    """English sentences (three words or more) of the French catalogue whose French differs,
    and the fixed parts of its messages with placeholders: one of them in a French page is a
    string left untranslated."""
    catalog = translation.trans_real.translation("fr")._catalog  # type: ignore[attr-defined]
    found: set[str] = set()
    for key, msgstr in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not isinstance(msgid, str) or msgid == msgstr:
            continue
        for part in PLACEHOLDER.split(msgid):
            part = part.strip(" .,:;()“”")
            if len(part.split()) >= 3 and len(part) >= 16 and part not in str(msgstr):
                found.add(part)
    return sorted(found)


#: What a page says: its text, and the labels, titles and placeholders a screen reader reads.
WORDING_JS = """
() => [document.body.innerText, ...Array.from(
  document.querySelectorAll("[aria-label], [title], [placeholder], [alt]"),
  (el) => ["aria-label", "title", "placeholder", "alt"].map((a) => el.getAttribute(a) || "").join("\\n"),
)].join("\\n")
"""


class Walk:
    """The checks run on every page the walk passes."""

    def __init__(self, browser: Any, url: str, language: str) -> None:
        self.browser = browser
        self.url = url
        self.language = language
        self.english = _english_sentences() if language == "fr" else []
        self.pages: list[str] = []

    @contextmanager
    def role(self, member: Membership) -> Iterator[Any]:
        context = self.browser.new_context(
            locale="fr-FR" if self.language == "fr" else "en-GB",
            viewport={"width": 1440, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            crawl.login(page, self.url, member.user.email, PASSWORD)
            assert page.locator("html").get_attribute("lang") == self.language
            yield page
        finally:
            context.close()

    def check(self, page: Any) -> None:
        """The page as it is now fits 390 and 1440 px, passes axe and speaks the language."""
        page.wait_for_load_state()
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )
        found = crawl.problems_here(page, self.url, widths=WIDTHS)
        if self.english:
            text = page.evaluate(WORDING_JS)
            found += [f"untranslated on {page.url}: {s!r}" for s in self.english if s in text]
        self.pages.append(page.url.removeprefix(self.url))
        assert not found, "\n" + "\n".join(found)

    def flash(self, page: Any) -> str:
        return str(page.locator(".flash").all_inner_texts())

    def money(self, minor: int, *, cents: bool = False) -> str:
        return format_money(minor, EUR, self.language, cents=cents)


def _cast(language: str) -> tuple[Cast, Membership, int]:
    """The shared cast, a third seller in the lead's team, everyone reading ``language``;
    the fiscal year after the current one (open: its cascade can be published)."""
    cast = build_cast()
    noe = create_member(
        workspace=cast.workspace,
        actor=None,
        email="noe@acme.example",
        name="Noé Nouveau",
        roles={"seller"},
        unit=cast.team,
        joined_on=datetime.date(2020, 1, 1),
        password=PASSWORD,
    )
    for member in (cast.executive, cast.admin, cast.lead, cast.seller, noe):
        member.user.language = language
        member.user.save(update_fields=["language"])
    fy = cast.workspace.calendar.year_of(timezone.localdate()) + 1
    return cast, noe, fy


def _executive(walk: Walk, cast: Cast, fy: int) -> None:
    typed = TYPED[walk.language]
    url = walk.url
    with walk.role(cast.executive) as page:
        # The company target, typed with the language's decimal mark.
        page.goto(f"{url}/targets/?year=FY{fy}")
        walk.check(page)
        page.locator("#id_amount").fill(typed["target"])
        page.locator("main form[action$='/targets/target/'] button[type=submit]").click()
        page.wait_for_url(f"{url}/targets/?year=FY{fy}")
        assert WORDS[walk.language]["saved"] in walk.flash(page)
        assert (
            CompanyTarget.objects.for_workspace(cast.workspace).get(fiscal_year=fy).amount == TARGET
        )
        assert page.locator("#id_amount").input_value() == format_money_input(
            TARGET, EUR, walk.language
        )
        walk.check(page)

        # A cascade that holds one seller, saved as a draft.
        page.goto(f"{url}/targets/cascade/?year=FY{fy}")
        walk.check(page)
        page.locator("#id_holds").fill(f"{cast.other_seller.user.email} = {typed['hold']}")
        page.locator("#cascade-form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/targets/runs/[0-9a-f-]+/$"))
        run = CascadeRun.objects.for_workspace(cast.workspace).get(fiscal_year=fy)
        assert (run.status, run.total) == (RunStatus.DRAFT, TARGET)
        assert run.parameters["holds"] == {str(cast.other_seller.uuid): HOLD}
        walk.check(page)

        # Published from its confirmation page, which says what it sets.
        href = page.locator(f"main a[href$='/targets/runs/{run.uuid}/publish/']").get_attribute(
            "href"
        )
        page.goto(url + str(href))
        walk.check(page)
        summary = page.get_by_test_id("publish-summary").inner_text()
        assert walk.money(TARGET) in summary, summary
        page.locator("main form[action$='/publish/'] button[type=submit]").click()
        page.wait_for_url(f"{url}/targets/runs/{run.uuid}/")
        assert WORDS[walk.language]["published"] in walk.flash(page)
        run.refresh_from_db()
        assert run.status == RunStatus.PUBLISHED
        shares = _annual_shares(run)
        held = shares.pop(cast.other_seller.pk)
        assert held == HOLD
        # The rest over the three others equally (no history, no bounds), exactly, in the
        # workspace's rounding unit (whole euros) but for the odd cents.
        assert sum(shares.values()) == TARGET - HOLD
        assert max(shares.values()) - min(shares.values()) <= cast.workspace.rounding_unit
        walk.check(page)

        # A pro-rata gap rule, previewed: the held seller takes nothing, the others share it.
        page.goto(f"{url}/objectives/reconciliation/?fy={fy}")
        walk.check(page)
        page.locator("select[name=kind]").select_option("prorata")
        page.locator("#id_amount").fill(typed["gap"])
        page.locator("main button[name=apply][value='0']").click()
        page.wait_for_load_state()
        preview = page.locator("main table").filter(has=page.locator("tfoot"))
        rows = preview.locator("tbody tr").all_inner_texts()
        names = {r.split("\t")[0] for r in rows}
        assert names == {cast.lead.name, cast.seller.name, "Noé Nouveau"}, rows
        base, extra = divmod(GAP, 3)
        expected = sorted(walk.money(base + (1 if n < extra else 0)) for n in range(3))
        assert sorted(r.split("\t")[1] for r in rows) == expected, rows
        assert walk.money(GAP) in preview.locator("tfoot").inner_text()
        assert not GapRule.objects.exists()  # a preview stores nothing
        walk.check(page)


def _annual_shares(run: CascadeRun) -> dict[int, int]:
    totals: dict[int, int] = {}
    for seller_id, amount in CascadeShare.objects.filter(run=run).values_list(
        "seller_id", "amount"
    ):
        totals[seller_id] = totals.get(seller_id, 0) + amount
    return totals


def _seller(walk: Walk, cast: Cast, fy: int) -> Objective:
    typed = TYPED[walk.language]
    words = WORDS[walk.language]
    url = walk.url
    reference = objectives.references.reference_for(cast.seller, fy).annual
    with walk.role(cast.seller) as page:
        page.goto(f"{url}/objectives/mine/?fy={fy}")
        walk.check(page)
        assert page.get_by_test_id("reference").inner_text() == walk.money(reference)
        field = page.locator("#id_amount")
        field.fill(typed["proposal"])
        with page.expect_response(lambda r: "/objectives/mine/phasing/" in r.url):
            field.press("Tab")
        page.get_by_role("button", name=words["propose"], exact=True).click()
        page.get_by_test_id("objective-status").filter(has_text=words["proposed"]).wait_for()
        objective = Objective.objects.get(seller=cast.seller, fiscal_year=fy)
        assert (objective.status, objective.amount) == (Status.PROPOSED, PROPOSAL)
        assert sum(objective.months) == PROPOSAL
        assert objective.handler_id == cast.lead.pk
        walk.check(page)

        # The plan: a key result typed with groups and a decimal, an initiative; then this
        # week's check-in.
        page.locator(f"main a[href$='/objectives/o/{objective.uuid}/plan/']").click()
        page.wait_for_url(f"{url}/objectives/o/{objective.uuid}/plan/")
        walk.check(page)
        form = page.locator("main form").filter(has=page.locator("input[value=key_result]"))
        form.locator("input[name=name]").fill("Nouveaux comptes")
        form.locator("input[name=target]").fill(typed["key_result"])
        form.locator("input[name=due_on]").fill(f"{fy}-03-31")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        kr = KeyResult.objects.get(objective=objective)
        assert (kr.target, kr.due_on) == (Decimal("1250.50"), datetime.date(fy, 3, 31))
        shown = page.locator("main tbody tr").filter(has_text="Nouveaux comptes").inner_text()
        assert format_number(Decimal("1250.50"), walk.language, digits=2) in shown, shown
        form = page.locator("main form").filter(has=page.locator("input[value=initiative]"))
        form.locator("input[name=text]").fill("Relancer les comptes dormants")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert Initiative.objects.filter(objective=objective).count() == 1
        form = page.locator("main form").filter(has=page.locator("input[value=check_in]"))
        form.locator("input[name=confidence]").fill("7")
        form.locator("input[name=comment]").fill("Deux renouvellements en vue")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        check_in = CheckIn.objects.get(objective=objective)
        assert (check_in.confidence, check_in.comment) == (7, "Deux renouvellements en vue")
        walk.check(page)
    return objective


def _lead(walk: Walk, cast: Cast, fy: int, returned: Objective, agreed: Objective) -> None:
    words = WORDS[walk.language]
    url = walk.url
    references = objectives.references.references_for(
        cast.workspace, fy, [returned.seller_id, agreed.seller_id]
    )
    with walk.role(cast.lead) as page:
        page.goto(f"{url}/objectives/inbox/")
        walk.check(page)
        for objective in (returned, agreed):
            row = page.locator("main table tbody tr").filter(has_text=objective.seller.name)
            text = row.inner_text()
            assert walk.money(objective.amount) in text, text
            assert walk.money(references[objective.seller_id].annual) in text, text

        page.get_by_role("link", name=returned.seller.name, exact=True).click()
        page.wait_for_url(f"{url}/objectives/o/{returned.uuid}/")
        walk.check(page)
        page.locator("#id_reason").fill("Trop loin de la référence")
        page.get_by_role("button", name=words["return"]).click()
        page.get_by_test_id("objective-status").filter(has_text=words["returned"]).wait_for()
        returned.refresh_from_db()
        assert (returned.status, returned.reason) == (Status.RETURNED, "Trop loin de la référence")
        walk.check(page)

        page.goto(f"{url}/objectives/inbox/")
        walk.check(page)
        page.get_by_role("link", name=agreed.seller.name, exact=True).click()
        page.wait_for_url(f"{url}/objectives/o/{agreed.uuid}/")
        page.get_by_role("button", name=words["agree"], exact=True).click()
        page.get_by_test_id("objective-status").filter(has_text=words["agreed"]).wait_for()
        agreed.refresh_from_db()
        assert (agreed.status, agreed.agreed_amount) == (Status.AGREED, OTHER_PROPOSAL)
        walk.check(page)

        # The team's figures and check-ins after the decisions.
        page.goto(f"{url}/objectives/reconciliation/?fy={fy}")
        walk.check(page)
        assert page.get_by_test_id("agreed").inner_text() == walk.money(OTHER_PROPOSAL)
        team = sum(references[pk].annual for pk in (returned.seller_id, agreed.seller_id))
        team += objectives.references.reference_for(cast.lead, fy).annual
        assert page.get_by_test_id("target").inner_text() == walk.money(team)
        page.goto(f"{url}/objectives/check-ins/?fy={fy}")
        walk.check(page)
        row = page.locator("main tbody tr").filter(has_text=returned.seller.name).inner_text()
        assert row.split("\t")[2:] == ["7", "Deux renouvellements en vue"], row


def _admin(walk: Walk, cast: Cast, noe: Membership) -> None:
    url = walk.url
    content, sales = french_split_file(cast, noe)
    credited = _credited(sales)
    with walk.role(cast.admin) as page:
        page.goto(f"{url}/sales/imports/")
        walk.check(page)
        page.locator("main input[type=file]").set_input_files(
            {"name": "ventes-novembre.csv", "mimeType": "text/csv", "buffer": content}
        )
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/sales/imports/[0-9a-f-]+/mapping/$"))
        walk.check(page)
        assert page.locator("select[name=map_split]").input_value() == "Crédit"  # guessed
        page.locator("#mapping-form > button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/sales/imports/[0-9a-f-]+/$"))
        counts = page.get_by_test_id("import-counts")
        assert WORDS[walk.language]["imported"] in counts.inner_text()
        walk.check(page)

        # Stored as the file means it: amounts, shares, and each seller's credited total.
        for sale in sales:
            stored = Sale.objects.for_workspace(cast.workspace).get(external_id=sale["id"])
            assert stored.amount == sale["amount"]
            shares = dict(stored.credits.values_list("seller__user__email", "basis_points"))
            assert shares == sale["shares"], (sale["id"], shares)
        cube: dict[str, int] = {}
        for email, amount in CubeCell.objects.for_workspace(cast.workspace).values_list(
            "seller__user__email", "split_amount"
        ):
            cube[email] = cube.get(email, 0) + amount
        assert cube == credited

        # The sales page shows the split.
        page.locator("main a[href='/sales/']").click()
        page.wait_for_url(f"{url}/sales/")
        walk.check(page)
        names = dict(
            Membership.objects.for_workspace(cast.workspace).values_list("user__email", "name")
        )
        for sale in sales:
            text = page.locator("main tbody tr").filter(has_text=sale["id"]).inner_text()
            assert walk.money(sale["amount"], cents=True) in text, text  # each sale to the cent
            for email, bp in sale["shares"].items():
                share = format_percent(Decimal(bp) / 10_000, walk.language)
                assert f"{names[email]} {share}" in text, (text, email)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_role_does_its_job_through_pages_that_fit(
    live_server: Any, browser: Any, language: str
) -> None:
    start = time.perf_counter()
    cast, noe, fy = _cast(language)
    walk = Walk(browser, live_server.url, language)

    _executive(walk, cast, fy)
    mine = _seller(walk, cast, fy)
    with translation.override(language):
        other = objectives.propose(seller=noe, fiscal_year=fy, amount=OTHER_PROPOSAL)
    assert other.status == Status.PROPOSED
    _lead(walk, cast, fy, returned=mine, agreed=other)
    _admin(walk, cast, noe)

    elapsed = time.perf_counter() - start
    print(f"\nWalk ({language}): {len(walk.pages)} pages checked in {elapsed:.0f} s")
