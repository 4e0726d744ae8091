"""Charts in a real browser: names in tooltips are text (never HTML), legends never cover the
axis labels, the heat map greys the months not over; and a French date picker keeps the date
the page offers."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pacte.insights import sources
from pacte.lib.fiscal import Month
from pacte.org import services as org_services
from pacte.planning.runs import publish_stated_run
from pacte.sales import cube
from pacte.sales.models import Channel
from pacte.testing import crawl
from pacte.testing.cast import PASSWORD, Cast, build_cast

HOSTILE_SELLER = "<img src=x onerror=window.__xss=1>"
HOSTILE_TEAM = "<img src=x onerror=window.__xss=2>"
HOSTILE_CHANNEL = "<img src=x onerror=window.__xss=3>"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed(*, hostile: bool) -> Cast:
    """The cast with a year of sales on two channels and quarterly targets; with ``hostile``,
    a seller at the top, a team and a channel named as HTML."""
    cast = build_cast()
    today = sources.today()
    other = Channel.objects.create(
        workspace=cast.workspace,
        code="distributors",
        name_en=HOSTILE_CHANNEL if hostile else "Distributors and resellers",
        name_fr=HOSTILE_CHANNEL if hostile else "Distributeurs et revendeurs",
        position=1,
    )
    if hostile:
        cast.team.name = HOSTILE_TEAM
        cast.team.save(update_fields=["name"])
        org_services.create_member(
            workspace=cast.workspace,
            actor=None,
            email="html@acme.example",
            name=HOSTILE_SELLER,
            roles={"seller"},
            unit=cast.company,
            joined_on=datetime.date(2020, 1, 1),
        )
    for month in range(1, today.month + 1):
        for seller, unit, amount in (
            (cast.seller, cast.team, 1000_00),
            (cast.other_seller, cast.other_team, 1500_00),
        ):
            for channel in (cast.channel, other):
                cube.add_cells(
                    cast.workspace.pk,
                    [
                        (
                            seller.pk,
                            unit.pk,
                            channel.pk,
                            Month(today.year, month).index,
                            amount,
                            0,
                            1,
                        )
                    ],
                )
    publish_stated_run(  # quarterly targets of 6,000.00, 2,000.00 a month
        workspace=cast.workspace,
        actor=None,
        fiscal_year=today.year,
        shares=[
            (seller.pk, cast.channel.pk, Month(today.year, month).index, 2000_00)
            for seller in (cast.seller, cast.other_seller)
            for month in range(1, 13)
        ],
        source="test",
    )
    return cast


def log_in(page: Any, live_server: Any, member: Any, language: str = "en") -> None:
    member.user.language = language
    member.user.save(update_fields=["language"])
    crawl.login(page, live_server.url, member.user.email, PASSWORD)


def wait_for_charts(page: Any) -> None:
    page.wait_for_function(
        "() => typeof echarts !== 'undefined' && [...document.querySelectorAll('[data-chart]')]"
        ".every((n) => echarts.getInstanceByDom(n))"
    )
    page.wait_for_timeout(300)  # the first frame


def hover(page: Any, selector: str, point: list[float]) -> None:
    chart = page.locator(selector)
    chart.evaluate("(n) => n.scrollIntoView({ block: 'center' })")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])


def assert_tooltip_shows_text(page: Any, selector: str, name: str) -> None:
    chart = page.locator(selector)
    chart.get_by_text(name, exact=False).first.wait_for(state="visible")
    assert chart.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_names_in_chart_tooltips_are_text(page, live_server) -> None:  # type: ignore[no-untyped-def]
    cast = seed(hostile=True)
    log_in(page, live_server, cast.executive)

    # org chart: the person at the top and the team's node
    page.goto(f"{live_server.url}/org/chart/")
    page.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('org-chart'))"
    )
    page.wait_for_timeout(500)
    for name in (HOSTILE_SELLER, HOSTILE_TEAM):
        point = page.evaluate(
            """(name) => {
                const chart = echarts.getInstanceByDom(document.getElementById('org-chart'));
                const data = chart.getModel().getSeriesByIndex(0).getData();
                for (let i = 0; i < data.count(); i++) {
                    if (!data.getName(i).includes(name)) continue;
                    const el = data.getItemGraphicEl(i);
                    const r = el.getBoundingRect().clone();
                    r.applyTransform(el.getComputedTransform());
                    return [r.x + r.width / 2, r.y + r.height / 2];
                }
                return null;
            }""",
            name,
        )
        assert point is not None, name
        hover(page, "#org-chart", point)
        assert_tooltip_shows_text(page, "#org-chart", name)
        page.mouse.move(0, 0)

    # insights: the heat map (team names) and the channel mix (channel names)
    page.goto(f"{live_server.url}/insights/")
    wait_for_charts(page)
    point = page.evaluate(
        """(name) => {
            const heat = JSON.parse(document.getElementById('insights-heatmap').textContent);
            const chart = echarts.getInstanceByDom(document.querySelector('[data-chart=heatmap]'));
            return chart.convertToPixel({ seriesIndex: 0 }, [0, heat.rows.indexOf(name)]);
        }""",
        HOSTILE_TEAM,
    )
    hover(page, "[data-chart=heatmap]", point)
    assert_tooltip_shows_text(page, "[data-chart=heatmap]", HOSTILE_TEAM)
    page.mouse.move(0, 0)
    point = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.querySelector('[data-chart=channels]'));
            return chart.convertToPixel({ seriesIndex: 1 }, [0, 1000]);
        }"""
    )
    hover(page, "[data-chart=channels]", point)
    assert_tooltip_shows_text(page, "[data-chart=channels]", HOSTILE_CHANNEL)


# Every text of a chart's legend, axes and visual map, as page rectangles [x, y, w, h].
RECTS = """(node) => {
    const chart = echarts.getInstanceByDom(node);
    const out = {};
    chart.getModel().eachComponent((type, model) => {
        const view = chart.getViewOfComponentModel(model);
        if (!view || !view.group) return;
        view.group.traverse((el) => {
            if (el.ignore || el.invisible || !el.getBoundingRect || el.isGroup) return;
            if (type !== 'legend' && !(el.style && el.style.text)) return;  // axis texts only
            const r = el.getBoundingRect().clone();
            const m = el.getComputedTransform();
            if (m) r.applyTransform(m);
            if (r.width > 0 && r.height > 0) (out[type] = out[type] || []).push([r.x, r.y, r.width, r.height]);
        });
    });
    out.box = [node.clientWidth, node.clientHeight];
    return out;
}"""


def overlap(a: list[float], b: list[float]) -> bool:
    return (
        a[0] < b[0] + b[2] - 1
        and b[0] < a[0] + a[2] - 1
        and a[1] < b[1] + b[3] - 1
        and b[1] < a[1] + a[3] - 1
    )


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_legends_never_cover_axis_labels(page, live_server, width, language) -> None:  # type: ignore[no-untyped-def]
    cast = seed(hostile=False)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, cast.executive, language)
    for url in (
        "/insights/",
        f"/insights/teams/{cast.team.uuid}/",
        f"/insights/sellers/{cast.seller.uuid}/",
    ):
        page.goto(live_server.url + url)
        wait_for_charts(page)
        for node in page.locator("[data-chart]").element_handles():
            rects = page.evaluate(RECTS, node)
            kind = node.get_attribute("data-chart")
            keys = [k for k in ("legend", "visualMap") if rects.get(k)]
            axes = rects.get("xAxis", []) + rects.get("yAxis", [])
            assert axes, (url, kind)
            width_px, height_px = rects["box"]
            for r in axes:  # axis labels inside the chart's box
                assert min(r[0], r[1]) >= -1, (url, kind, r)
                assert r[0] + r[2] <= width_px + 1, (url, kind, r)
                assert r[1] + r[3] <= height_px + 1, (url, kind, r)
            for key in keys:
                for legend in rects[key]:
                    for label in axes:
                        assert not overlap(legend, label), (url, kind, key, legend, label)


def test_heat_map_greys_months_not_over(page, live_server) -> None:  # type: ignore[no-untyped-def]
    cast = seed(hostile=False)
    log_in(page, live_server, cast.executive)
    page.goto(f"{live_server.url}/insights/")
    wait_for_charts(page)
    series = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.querySelector('[data-chart=heatmap]'));
            return chart.getOption().series.map((s) => ({ months: [...new Set(s.data.map((c) => c[0]))].sort((a, b) => a - b), color: s.itemStyle && s.itemStyle.color }));
        }"""
    )
    current = Month.of(sources.today()).month - 1  # calendar year = fiscal year in the cast
    assert series[0]["months"] == list(range(current))
    assert series[1]["months"] == list(range(current, 12))
    assert series[1]["color"] == "#e5e7eb"


def test_french_proposal_is_applied_from_the_date_the_picker_holds(page, live_server) -> None:  # type: ignore[no-untyped-def]
    from pacte.org.models import ProposalDraft, ProposalStatus

    cast = build_cast()
    draft = org_services.save_proposal(
        workspace=cast.workspace,
        actor=cast.admin,
        name="Plat",
        shape={"max_layers": 1, "span_min": 1, "span_max": 20},
        based_on=datetime.date.today(),
        moves=[],
    )
    log_in(page, live_server, cast.admin, "fr")
    page.goto(f"{live_server.url}/org/proposals/{draft.uuid}/")
    picker = page.locator("input[name=effective]")
    assert picker.input_value() == datetime.date.today().isoformat()
    page.get_by_role("button", name="Appliquer à compter de cette date").click()
    page.wait_for_load_state("networkidle")
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.APPLIED
    assert ProposalDraft.objects.get(pk=draft.pk).effective == datetime.date.today()
