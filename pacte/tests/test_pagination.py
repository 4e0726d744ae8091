"""Every paged list keeps its filters on the next page: the shared pager builds its links
from the current address with ``{% querystring %}`` and changes only the page."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.paginator import Paginator
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.lib.fiscal import Month
from pacte.sales.models import Sale
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _pages_of_one(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Page the lists of ``module``'s views one row at a time, so two rows make two pages."""
    monkeypatch.setattr(f"{module}.Paginator", lambda rows, _per_page: Paginator(rows, 1))


def _next_page(client: Client, url: str) -> tuple[dict[str, list[str]], str]:
    """Follow the pager's Next link of ``url``: its parameters, and the page it leads to."""
    first = client.get(url)
    assert first.status_code == 200
    found = re.search(r'<a href="([^"]*)" rel="next">', first.content.decode())
    assert found, "no Next link"
    href = html.unescape(found.group(1))
    second = client.get(urlsplit(url).path + href.split("#")[0])
    assert second.status_code == 200
    return parse_qs(urlsplit(href).query), second.content.decode()


def _filters(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_audit_log_keeps_every_filter_on_page_two(
    cast: Cast, login: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pages_of_one(monkeypatch, "pacte.audit.views")
    AuditEvent.objects.bulk_create(
        AuditEvent(
            workspace=cast.workspace,
            actor=cast.admin,
            actor_name=cast.admin.name,
            action="unit.update",
            object_type="unit",
            object_repr=f"North {i}",
        )
        for i in range(3)
    )
    today = datetime.date.today()
    url = (
        f"/audit/?person={cast.admin.uuid}&object_type=unit&q=North"
        f"&date_from={today - datetime.timedelta(days=1)}&date_to={today + datetime.timedelta(days=1)}"
    )
    params, body = _next_page(login(cast.admin), url)
    assert params == {**_filters(url), "page": ["2"]}
    assert "Page 2 of 3" in body


def test_people_list_keeps_team_role_and_status_on_page_two(
    cast: Cast, login: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pacte.org.services import create_member

    _pages_of_one(monkeypatch, "pacte.org.views")
    for i in range(2):
        create_member(
            workspace=cast.workspace,
            actor=None,
            email=f"p{i}@acme.example",
            name=f"Pat {i}",
            roles=["seller"],
            unit=cast.team,
        )
    url = f"/people/?q=pat&unit={cast.team.uuid}&role=seller&status=all"
    params, body = _next_page(login(cast.admin), url)
    assert params == {**_filters(url), "page": ["2"]}
    assert "Page 2 of 2" in body
    assert "Pat 1" in body


def test_sales_list_keeps_its_filters_on_page_two(
    cast: Cast, login: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pages_of_one(monkeypatch, "pacte.sales.views")
    day = datetime.date(2026, 5, 2)
    Sale.objects.bulk_create(
        Sale(
            workspace=cast.workspace,
            external_id=f"S{i}",
            date=day,
            month=Month(2026, 5).index,
            amount=100_00,
            channel=cast.channel,
            row_hash=i,
        )
        for i in range(2)
    )
    url = f"/sales/?q=S&channel={cast.channel.uuid}&date_from=2026-05-01&date_to=2026-05-31"
    params, body = _next_page(login(cast.executive), url)
    assert params == {**_filters(url), "page": ["2"]}
    assert "Page 2 of 2" in body


def test_delegation_map_keeps_its_day_on_page_two(
    cast: Cast, login: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pages_of_one(monkeypatch, "pacte.org.views")
    url = f"/org/delegation/?on={datetime.date.today().isoformat()}"
    params, body = _next_page(login(cast.executive), url)
    assert params == {**_filters(url), "page": ["2"]}
    assert "Page 2 of" in body
