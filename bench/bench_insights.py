"""Insights pages on a generated company: executive overview, a team view, a seller cockpit.

The company has 10,000 sellers (quick: 1,000) in teams of 50, 4 channels and 24 months of cube
cells: the "10 million sales" cube is every (seller, channel, month) cell present with about 10
sales each (960,000 cells); the baseline "1 million sales" cube of the same company has about
one sale per cell (Poisson, ~63 % of cells present). Server time is measured in-process with the
Django test client (p50/p95 over repeated requests); target: p95 < 50 ms and no more than 1.2×
the 1M-sales figure.
"""

from __future__ import annotations

import statistics
import time
import uuid

import numpy as np

from bench.common import Figure

TEAM_SIZE = 50
CHANNELS = 4
MONTHS = 24


def _company(slug: str, sellers: int, sales_total: int, seed: int):  # type: ignore[no-untyped-def]
    import datetime

    from django.db import connection, transaction

    from pacte.accounts.models import Membership, User
    from pacte.accounts.services import create_workspace
    from pacte.org.models import Placement, Unit
    from pacte.org.selectors import root_unit
    from pacte.sales.models import Channel

    ws = create_workspace(name=slug, slug=slug, currency="EUR")
    root = root_unit(ws)
    day = datetime.date(2020, 1, 1)
    with transaction.atomic():
        teams = Unit.objects.bulk_create(
            [
                Unit(workspace=ws, name=f"Team {i:04d}", parent=root)
                for i in range((sellers + TEAM_SIZE - 1) // TEAM_SIZE)
            ]
        )
        users = User.objects.bulk_create(
            [User(email=f"{slug}-{i}@bench.example", name=f"S{i}") for i in range(sellers + 1)]
        )
        members = Membership.objects.bulk_create(
            [
                Membership(workspace=ws, user=u, name=u.name, is_seller=i > 0, is_executive=i == 0)
                for i, u in enumerate(users)
            ]
        )
        Placement.objects.bulk_create(
            [Placement(workspace=ws, membership=members[0], unit=root, valid_from=day)]
            + [
                Placement(workspace=ws, membership=m, unit=teams[(i) // TEAM_SIZE], valid_from=day)
                for i, m in enumerate(members[1:])
            ]
        )
        channels = Channel.objects.bulk_create(
            [
                Channel(workspace=ws, code=f"c{i}", name_en=f"C{i}", name_fr=f"C{i}")
                for i in range(CHANNELS)
            ]
        )
    rng = np.random.default_rng(seed)
    cells = sellers * CHANNELS * MONTHS
    lam = sales_total / cells
    counts = rng.poisson(lam, cells)
    today = datetime.date.today()
    last = today.year * 12 + today.month - 1
    months = np.arange(last - MONTHS + 1, last + 1)
    s_idx, c_idx, m_idx = np.unravel_index(np.arange(cells), (sellers, CHANNELS, MONTHS))
    keep = counts > 0
    amounts = counts * rng.integers(50_00, 5000_00, cells)
    seller_ids = np.array([m.pk for m in members[1:]])
    team_ids = np.array([t.pk for t in teams])
    chan_ids = np.array([c.pk for c in channels])
    rows = zip(
        seller_ids[s_idx[keep]].tolist(),
        team_ids[s_idx[keep] // TEAM_SIZE].tolist(),
        chan_ids[c_idx[keep]].tolist(),
        months[m_idx[keep]].tolist(),
        amounts[keep].tolist(),
        counts[keep].tolist(),
        strict=True,
    )
    sql = (
        "INSERT INTO sales_cubecell (workspace_id, seller_id, unit_id, channel_id, month, "
        "split_amount, overlay_amount, sale_count) VALUES (%s, %s, %s, %s, %s, %s, 0, %s)"
    )
    with transaction.atomic(), connection.cursor() as cur:
        batch = []
        for r in rows:
            batch.append((ws.pk, *r))
            if len(batch) == 50_000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
    return ws, members[0], members[1], teams[0], int(keep.sum()), int(counts.sum())


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(client, url: str, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    client.get(url)  # warm
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), _p(samples, 0.95)


def run(quick: bool) -> list[Figure]:
    from django.core.management import call_command
    from django.test import override_settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("collectstatic", "--noinput", verbosity=0)  # the manifest the pages need
    with override_settings(ALLOWED_HOSTS=["*"]):
        return _run(quick)


def _run(quick: bool) -> list[Figure]:
    from django.test import Client

    sellers = 1_000 if quick else 10_000
    n = 10 if quick else 20
    big = _company(f"ins-big-{uuid.uuid4().hex[:6]}", sellers, sellers * 1000, 1)
    small = _company(f"ins-small-{uuid.uuid4().hex[:6]}", sellers, sellers * 100, 2)
    figures = []
    results = {}
    for label, (_ws, exe, seller, team, cells, sales) in (("10x", big), ("1x", small)):
        client = Client()
        client.force_login(exe.user)
        results[label] = {
            "overview": _measure(client, "/insights/", n),
            "team": _measure(client, f"/insights/teams/{team.uuid}/", n),
            "cockpit": _measure(client, f"/insights/sellers/{seller.uuid}/", n),
            "cells": cells,
            "sales": sales,
        }
    for page in ("overview", "team", "cockpit"):
        p50, p95 = results["10x"][page]
        b50, b95 = results["1x"][page]
        figures.append(
            Figure(
                name=f"insights {page} p95 ({sellers:,} sellers, {results['10x']['sales']:,} sales)",
                value=p95,
                unit="s",
                baseline=f"same page on {results['1x']['sales']:,} sales ({results['1x']['cells']:,} cells)",
                baseline_value=b95,
                target="p95 < 50 ms and ≤ 1.2× baseline",
                holds=p95 < 0.05 and p95 <= 1.2 * b95,
                notes=f"p50 {p50 * 1000:.1f} ms (baseline p50 {b50 * 1000:.1f} ms), "
                f"{results['10x']['cells']:,} cube cells",
            )
        )
    return figures
