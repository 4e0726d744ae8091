"""Values are translated, not only labels: every page of the demo, as each role, in French, shows
statuses, methods, channels, periods and figures in words — never a stored code or a Python
repr (``True``, ``None``, ``[0, 6, 34]``, ``5.857142857142857``, ``FY2026-M12``)."""

from __future__ import annotations

import datetime
import html
import json
import re
from collections import deque
from typing import Any

import pytest
from django.test import Client

from pacte.accounts.models import Membership
from pacte.objectives import services as objectives
from pacte.objectives.models import Objective, Status
from pacte.org import proposals, structure
from pacte.org import services as org_services
from pacte.samples import demo

pytestmark = pytest.mark.django_db

#: Stored codes that must never be shown as a value (whole text nodes).
CODES = {
    # objective statuses and actions, run statuses, cascade methods and phasings
    "draft", "proposed", "returned", "countered", "agreed", "auto_agreed", "accepted",
    "published", "superseded", "equal", "history", "potential", "capacity", "blended",
    "flat", "seasonal", "custom",
    # the demo's channel codes, credit kinds, gap rules, initiative statuses
    "field", "distributors", "telesales", "e-commerce", "split", "overlay",
    "stretch", "prorata", "reserve", "planned", "ongoing", "done", "dropped",
}  # fmt: skip
REPR = re.compile(
    r"\bTrue\b|\bFalse\b|\bNone\b"  # Python constants
    r"|\[\d+(, \d+)+\]|\{'"  # lists and dicts
    r"|\d[.,]\d{4,}"  # long decimals
    r"|\bFY\d{4}-(M\d\d|Q\d|YTD)\b"  # period keys
    r"|\bQ[1-4]\b"  # English quarters
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def visible_texts(page: str) -> list[str]:
    page = re.sub(r"<(script|style|template)\b.*?</\1>", "", page, flags=re.S)
    page = re.sub(r"<code>.*?</code>", "", page, flags=re.S)  # stored data (audit details)
    return [t for t in (html.unescape(x).strip() for x in re.split(r"<[^>]+>", page)) if t]


def links(page: str) -> list[str]:
    out = []
    for href in re.findall(r'href="(/[^"#]*)"', page):
        href = html.unescape(href)
        if not href.startswith(("/static", "/api", "/account/logout")) and "export" not in href:
            out.append(href)
    return out


@pytest.fixture
def company() -> dict[str, Membership]:
    """The demo company with its sales and plans, a returned and a countered proposal, a plan,
    and a delayering draft."""
    plan = demo.generate(seed=42, sellers=40)
    workspace: Any = demo.load(plan)
    demo.load_sales(plan, workspace, seed=42)
    demo.load_plans(workspace, seed=42)
    logins = dict(plan.logins())
    people = {
        role: Membership.objects.for_workspace(workspace).get(user__email=email)
        for role, email in logins.items()
    }
    waiting = list(Objective.objects.for_workspace(workspace).filter(status=Status.PROPOSED)[:2])
    executive = people["executive"]
    if waiting:
        objectives.return_objective(
            objective=waiting[0],
            actor=waiting[0].handler or executive,
            version=waiting[0].version,
            reason="x",
        )
    if len(waiting) > 1:
        objectives.counter_propose(
            objective=waiting[1],
            actor=waiting[1].handler or executive,
            version=waiting[1].version,
            amount=123_456_00,
            reason="y",
        )
    mine = Objective.objects.filter(seller=people["seller"]).order_by("fiscal_year").first()
    if mine is not None:
        objectives.add_initiative(objective=mine, actor=people["seller"], text="Salons")
    day = datetime.date.today()
    snap = structure.snapshot(workspace, day)
    shape = {"max_layers": 1, "span_min": 2, "span_max": 6}
    org_services.save_proposal(
        workspace=workspace,
        actor=people["admin"],
        name="Plat",
        shape=shape,
        based_on=day,
        moves=proposals.stored_moves(proposals.propose(snap, shape)),
    )
    for member in people.values():
        member.user.language = "fr"
        member.user.save(update_fields=["language"])
    return people


def walk(member: Membership, per_pattern: int = 2, limit: int = 250) -> dict[str, str]:
    """GET every page reachable from home (two of each URL shape), as ``member``."""
    client = Client()
    client.force_login(member.user)
    seen: dict[str, int] = {}
    pages: dict[str, str] = {}
    queue = deque(["/"])
    while queue and len(pages) < limit:
        url = queue.popleft()
        shape = UUID.sub("U", url.split("?")[0]) + ("?" if "?" in url else "")
        if url in pages or seen.get(shape, 0) >= per_pattern:
            continue
        seen[shape] = seen.get(shape, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        pages[url] = response.content.decode()
        queue.extend(links(pages[url]))
    return pages


def test_every_page_shows_values_in_french(company):
    problems = []
    walked = 0
    for role, member in company.items():
        pages = walk(member)
        walked += len(pages)
        for url, page in pages.items():
            assert 'lang="fr"' in page, url
            for text in visible_texts(page):
                if text in CODES or REPR.search(text):
                    problems.append(f"{role} {url}: {text[:80]!r}")
    assert walked > 60
    assert problems == []


def test_pages_of_stored_values_read_in_french(company):
    """Delayering figures, reconciliation, a cascade run's parameters, the structure trend and
    the audit details (one demo company for all: it takes seconds to build)."""
    check_proposal(company)
    check_reconciliation(company)
    check_run_structure_and_audit(company)


def check_proposal(company):  # type: ignore[no-untyped-def]
    from pacte.org.models import ProposalDraft

    draft = ProposalDraft.objects.get(name="Plat")
    client = Client()
    client.force_login(company["admin"].user)
    page = client.get(f"/org/proposals/{draft.uuid}/").content.decode()
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    figures = {html.unescape(label): (before, after) for label, before, after in rows}
    assert set(figures["Forme cible atteinte"]) <= {"oui", "non"}
    by_layers = figures["Vendeurs par nombre de niveaux au-dessus d'eux"][0]
    assert re.fullmatch(
        r"\d+ niveaux? : \d+( · \d+ niveaux? : \d+)*", by_layers.replace("\xa0", " ")
    )
    for before, after in figures.values():
        for value in (before, after):
            assert not re.search(r"\d,\d{3,}|\.\d", value), value  # two decimals at most, comma


def check_reconciliation(company):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(company["executive"].user)
    page = client.get("/objectives/reconciliation/?fy=" + str(datetime.date.today().year + 1))
    texts = visible_texts(page.content.decode())
    assert {"T1", "T2", "T3", "T4"} <= set(texts)
    assert {"Validé", "Proposé"} & set(texts)
    assert "Renvoyé" in texts
    assert not {"Q1", "agreed", "proposed", "returned", "field"} & set(texts)


def test_demo_narrative_is_written_in_the_workspace_language():
    from pacte.accounts.models import Workspace

    plan = demo.generate(seed=42, sellers=40)
    workspace: Any = demo.load(plan, slug="demo-fr")
    Workspace.objects.filter(pk=workspace.pk).update(language="fr")
    workspace.refresh_from_db()
    demo.load_sales(plan, workspace, seed=42)
    demo.load_plans(workspace, seed=42)
    narratives = set(Objective.objects.for_workspace(workspace).values_list("narrative", flat=True))
    assert narratives == {"Objectif fixé lors de la mise en place de la démo."}


def check_run_structure_and_audit(company):  # type: ignore[no-untyped-def]
    from pacte.planning.models import CascadeRun

    client = Client()
    client.force_login(company["executive"].user)
    run = CascadeRun.objects.for_workspace(company["executive"].workspace).first()
    assert run is not None
    page = client.get(f"/targets/runs/{run.uuid}/").content.decode()
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html.unescape(page)))
    assert facts["Méthode"] == "Historique"
    assert facts["Saisonnalisation"] == "Saisonnalité historique (par canal)"
    assert facts["Fenêtre d'historique"] == "12 mois"
    assert facts["Bornes de croissance par rapport à l'historique"].replace("\u00a0", " ") == (
        "de -10 % à 30 %"
    )
    assert "pprint" not in page
    assert "&#x27;method&#x27;" not in page

    page = client.get("/org/structure/").content.decode()
    data = re.search(
        r'<script id="org-structure-data" type="application/json">(.*?)</script>', page
    )
    assert data is not None
    assert json.loads(data.group(1))["labels"]["span_mean"] == "Périmètre moyen"
    month_ends = re.findall(r"<tr><td>(\d{1,2}\u00a0\w+\.?\u00a0\d{4})</td>", html.unescape(page))
    assert len(month_ends) >= 12  # the trend's dates as the reader writes them

    page = html.unescape(client.get("/audit/").content.decode())
    details = re.findall(r"<code>(.*?)</code>", page)
    assert any('"narrative": ' in d for d in details)
    assert not [d for d in details if "None" in d or "'" in d.split('"narrative"')[0]]
