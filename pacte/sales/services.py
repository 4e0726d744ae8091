"""Sales workflows: channels, deletions, crediting rules and re-crediting.

Imports are in :mod:`.imports`, the cube in :mod:`.cube`. Every write to sales or credits
updates the cube in the same transaction (``pacte.sales.cube.apply_cube``). Rule changes and
sale updates leave audit events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record, record_many, snapshot
from pacte.errors import DomainError, StaleVersion
from pacte.insights.tasks import warm_overview
from pacte.org.selectors import root_unit
from pacte.sales.cube import apply_cube, drop_empty_cells
from pacte.sales.ingest.context import active_rules
from pacte.sales.models import (
    Channel,
    Credit,
    CreditKind,
    CreditRule,
    Sale,
)

# --------------------------------------------------------------------------- channels

CHANNEL_FIELDS = ("code", "name_en", "name_fr", "position", "is_active")


@transaction.atomic
def create_channel(
    *,
    workspace: Workspace,
    actor: Membership | None,
    code: str,
    name_en: str,
    name_fr: str,
    position: int = 0,
) -> Channel:
    code = code.strip().lower()
    if not code or not name_en.strip() or not name_fr.strip():
        raise DomainError(_("A channel needs a code and a name in each language."), code="required")
    if Channel.objects.for_workspace(workspace).filter(code=code).exists():
        raise DomainError(
            _("A channel with the code “%(code)s” already exists.") % {"code": code},
            code="duplicate_code",
            field="code",
        )
    channel = Channel.objects.create(
        workspace=workspace,
        code=code,
        name_en=name_en.strip(),
        name_fr=name_fr.strip(),
        position=position,
    )
    record(
        workspace=workspace,
        actor=actor,
        action="channel.created",
        obj=channel,
        after=snapshot(channel, CHANNEL_FIELDS),
    )
    return channel


@transaction.atomic
def update_channel(
    *,
    channel: Channel,
    actor: Membership | None,
    name_en: str | None = None,
    name_fr: str | None = None,
    position: int | None = None,
    is_active: bool | None = None,
) -> Channel:
    """Rename or (de)activate a channel; its code stays (files and sales refer to it)."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    before = snapshot(channel, CHANNEL_FIELDS)
    for name, value in (
        ("name_en", name_en),
        ("name_fr", name_fr),
        ("position", position),
        ("is_active", is_active),
    ):
        if value is not None:
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    raise DomainError(_("A channel needs a name."), code="required", field=name)
            setattr(channel, name, value)
    after = snapshot(channel, CHANNEL_FIELDS)
    if after != before:
        channel.save()
        record(
            workspace=channel.workspace,
            actor=actor,
            action="channel.updated",
            obj=channel,
            before=before,
            after=after,
        )
    return channel


# --------------------------------------------------------------------------- deletion


@transaction.atomic
def delete_sales(*, workspace: Workspace, actor: Membership | None, sales: QuerySet[Sale]) -> int:
    """Delete sales (and their credits), taking them out of the cube; one audit event each."""
    sales = sales.filter(workspace=workspace)
    ids_sql, params = sales.values("pk").query.sql_with_params()
    doomed = list(sales.values_list("uuid", "external_id", "amount", "date"))
    if not doomed:
        return 0
    with connection.cursor() as c:
        apply_cube(c, workspace.pk, -1, f"c.sale_id IN ({ids_sql})", params)
        c.execute(
            f"DELETE FROM sales_credit WHERE workspace_id = %s AND sale_id IN ({ids_sql})",  # noqa: S608
            [workspace.pk, *params],
        )
        drop_empty_cells(c, workspace.pk)
    Sale.objects.filter(pk__in=[*sales.values_list("pk", flat=True)]).delete()
    record_many(
        {
            "workspace": workspace,
            "actor": actor,
            "action": "sale.deleted",
            "object_type": "sale",
            "object_id": str(u),
            "object_repr": ext,
            "before": {"amount": amount, "date": date},
        }
        for u, ext, amount, date in doomed
    )
    return len(doomed)


# --------------------------------------------------------------------------- rules

RULE_FIELDS = ("channel", "territory", "kind", "target", "owner", "priority", "is_active")


def _check_rule(workspace: Workspace, rule: CreditRule) -> None:
    if rule.channel is not None and rule.channel.workspace_id != workspace.pk:
        raise DomainError(
            _("This channel is not in the workspace."), code="not_found", field="channel"
        )
    if rule.target == "owner":
        if rule.owner is None:
            raise DomainError(_("Choose who gets the credit."), code="required", field="owner")
        if rule.owner.workspace_id != workspace.pk:
            raise DomainError(
                _("This person is not in the workspace."), code="not_found", field="owner"
            )
    else:
        rule.owner = None
    if rule.channel is None and not rule.territory.strip():
        raise DomainError(
            _("A rule applies to a channel, a territory or both: choose at least one."),
            code="required",
            field="channel",
        )


@transaction.atomic
def create_rule(*, workspace: Workspace, actor: Membership | None, **fields: Any) -> CreditRule:
    rule = CreditRule(workspace=workspace, **fields)
    rule.territory = rule.territory.strip()
    _check_rule(workspace, rule)
    rule.save()
    record(
        workspace=workspace,
        actor=actor,
        action="creditrule.created",
        obj=rule,
        after=snapshot(rule, RULE_FIELDS),
    )
    recredit(workspace=workspace, scopes=[(rule.channel_id, rule.territory)])
    return rule


@transaction.atomic
def update_rule(
    *, rule: CreditRule, actor: Membership | None, version: int | None, **fields: Any
) -> CreditRule:
    rule = CreditRule.objects.select_for_update().select_related("workspace").get(pk=rule.pk)
    if version is not None and version != rule.version:
        raise StaleVersion(
            _("This rule was changed by someone else since you opened it. Reload and try again.")
        )
    before = snapshot(rule, RULE_FIELDS)
    old_scope = (rule.channel_id, rule.territory)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.territory = rule.territory.strip()
    _check_rule(rule.workspace, rule)
    after = snapshot(rule, RULE_FIELDS)
    if after == before:
        return rule
    rule.version += 1
    rule.save()
    record(
        workspace=rule.workspace,
        actor=actor,
        action="creditrule.updated",
        obj=rule,
        before=before,
        after=after,
    )
    recredit(workspace=rule.workspace, scopes=[old_scope, (rule.channel_id, rule.territory)])
    return rule


@transaction.atomic
def delete_rule(*, rule: CreditRule, actor: Membership | None, version: int | None = None) -> None:
    rule = CreditRule.objects.select_for_update().select_related("workspace").get(pk=rule.pk)
    if version is not None and version != rule.version:
        raise StaleVersion(
            _("This rule was changed by someone else since you opened it. Reload and try again.")
        )
    workspace = rule.workspace
    old_scope = (rule.channel_id, rule.territory)
    record(
        workspace=workspace,
        actor=actor,
        action="creditrule.deleted",
        obj=rule,
        before=snapshot(rule, RULE_FIELDS),
    )
    rule.delete()
    recredit(workspace=workspace, scopes=[old_scope])


@transaction.atomic
def recredit(
    *, workspace: Workspace, scopes: Iterable[tuple[int | None, str]] | None = None
) -> int:
    """Recompute the rule-given credits of the sales a rule change can affect, set-based.

    ``scopes`` are the (channel id, territory) of the changed rule before and after the
    change: only the sales matching one of them are re-credited (``None``: every sale). For
    those sales, in one transaction: their rule credits leave the cube, are deleted, are
    recomputed by ONE ``INSERT … SELECT`` (split credit of the sales credited by a rule, the
    overlay credit of every sale: the most specific active rule that names somebody, as
    ``resolve_rules`` does; the seller's team on the day of the sale, as
    ``team_of_the_day`` does) and come back into the cube. Refused when a
    rule-credited sale would be left without a seller. Returns the number of credits written.
    """
    rules = active_rules(workspace)
    with connection.cursor() as c:
        # Territories match case-insensitively exactly as the import does (Polars
        # ``to_lowercase``; SQL ``lower`` differs between databases and locales): each rule
        # territory becomes the list of the workspace's raw territories that match it.
        c.execute(
            "SELECT DISTINCT territory FROM sales_sale WHERE workspace_id = %s AND territory <> ''",
            [workspace.pk],
        )
        raw = pl.Series("raw", [r[0] for r in c.fetchall()], dtype=pl.String)
        lowered = pl.DataFrame({"raw": raw, "t": raw.str.to_lowercase()})

        def spelled(territory: str) -> list[str]:
            key = territory.strip().lower()
            return lowered.filter(pl.col("t") == key).get_column("raw").to_list()

        for table in ("recredit_rule", "recredit_sale", "recredit_new"):
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(
            "CREATE TEMP TABLE recredit_rule (rank integer, kind varchar(7), channel_id bigint, "
            "territory varchar(100), target varchar(7), owner_id bigint)"
        )
        rule_rows: list[tuple[Any, ...]] = []
        for rank, r in enumerate(rules):
            base = (rank, r["kind"], r["channel_id"])
            tail = (r["target"], r["owner_id"])
            if r["territory"]:
                rule_rows.extend((*base, t, *tail) for t in spelled(r["territory"]))
            else:
                rule_rows.append((*base, None, *tail))
        if rule_rows:
            c.executemany("INSERT INTO recredit_rule VALUES (%s, %s, %s, %s, %s, %s)", rule_rows)

        # The affected sales.
        conditions: list[str] = []
        params: list[Any] = [workspace.pk]
        for channel_id, territory in [] if scopes is None else scopes:
            parts = ["1 = 1"]
            if channel_id:
                parts.append("s.channel_id = %s")
                params.append(channel_id)
            if territory.strip():
                names = spelled(territory)
                parts.append(
                    f"s.territory IN ({', '.join(['%s'] * len(names))})" if names else "1 = 0"
                )
                params.extend(names)
            conditions.append("(" + " AND ".join(parts) + ")")
        where = "" if scopes is None else " AND (" + (" OR ".join(conditions) or "1 = 0") + ")"
        c.execute(
            "CREATE TEMP TABLE recredit_sale AS SELECT s.id AS sale_id, s.date, s.amount, "  # noqa: S608
            "s.channel_id, s.territory, s.customer_id, s.credit_origin "
            f"FROM sales_sale s WHERE s.workspace_id = %s{where}",
            params,
        )
        c.execute("CREATE INDEX recredit_sale_id ON recredit_sale (sale_id)")

        # One owner per sale and kind: the first matching rule (in ``rules`` order) that
        # names somebody; an overlay owner the row already gives an overlay gets nothing more.
        owner = "CASE WHEN r.target = 'account' THEN cu.channel_manager_id ELSE r.owner_id END"
        c.execute(
            "CREATE TEMP TABLE recredit_new AS SELECT x.sale_id, x.kind, x.seller_id FROM "  # noqa: S608
            f"(SELECT a.sale_id, r.kind, {owner} AS seller_id, ROW_NUMBER() OVER "
            "(PARTITION BY a.sale_id, r.kind ORDER BY r.rank) AS n "
            "FROM recredit_sale a JOIN recredit_rule r "
            "ON (r.channel_id IS NULL OR r.channel_id = a.channel_id) "
            "AND (r.territory IS NULL OR r.territory = a.territory) "
            "LEFT JOIN sales_customer cu ON cu.id = a.customer_id "
            f"WHERE (r.kind = 'overlay' OR a.credit_origin = 'rule') AND {owner} IS NOT NULL) x "
            "WHERE x.n = 1 AND NOT (x.kind = 'overlay' AND EXISTS (SELECT 1 FROM sales_credit o "
            "WHERE o.sale_id = x.sale_id AND o.kind = 'overlay' AND o.origin = 'row' "
            "AND o.seller_id = x.seller_id))"
        )
        c.execute(
            "SELECT COUNT(*) FROM recredit_sale a WHERE a.credit_origin = 'rule' AND NOT EXISTS "
            "(SELECT 1 FROM recredit_new n WHERE n.sale_id = a.sale_id AND n.kind = 'split')"
        )
        orphans = c.fetchone()[0]
        if orphans:
            raise DomainError(
                _(
                    "%(count)s sales credited by a rule would be left without a seller: keep a "
                    "rule that covers them."
                )
                % {"count": orphans},
                code="sales_without_credit",
            )

        scoped = "c.origin = 'rule' AND c.sale_id IN (SELECT sale_id FROM recredit_sale)"
        apply_cube(c, workspace.pk, -1, scoped)
        c.execute(
            "DELETE FROM sales_credit WHERE workspace_id = %s AND origin = 'rule' "
            "AND sale_id IN (SELECT sale_id FROM recredit_sale)",
            [workspace.pk],
        )
        # Team of the day (``team_of_the_day``): the latest placement starting on or
        # before the sale date, else the seller's first placement, else the company.
        placed = (
            "(SELECT p.unit_id FROM org_placement p WHERE p.workspace_id = %s "
            "AND p.membership_id = n.seller_id {cond} ORDER BY p.valid_from {order} LIMIT 1)"
        )
        c.execute(
            "INSERT INTO sales_credit (workspace_id, sale_id, seller_id, unit_id, kind, "
            "basis_points, amount, origin) SELECT %s, n.sale_id, n.seller_id, COALESCE("
            + placed.format(cond="AND p.valid_from <= a.date", order="DESC")
            + ", "
            + placed.format(cond="", order="ASC")
            + ", %s), n.kind, 10000, a.amount, 'rule' "
            "FROM recredit_new n JOIN recredit_sale a ON a.sale_id = n.sale_id "
            "ORDER BY n.sale_id, n.kind DESC",
            [workspace.pk, workspace.pk, workspace.pk, root_unit(workspace).pk],
        )
        written = c.rowcount
        apply_cube(c, workspace.pk, 1, scoped)
        drop_empty_cells(c, workspace.pk)
        for table in ("recredit_rule", "recredit_sale", "recredit_new"):
            c.execute(f"DROP TABLE {table}")
    workspace_id = workspace.pk
    transaction.on_commit(lambda: warm_overview.enqueue(workspace_id))
    return int(written)


# --------------------------------------------------------------------------- one sale's credits


def _split_exactly(amount: int, shares: list[int]) -> list[int]:
    """``amount`` over basis-point ``shares`` by largest remainder (sign kept): sums exactly."""
    from pacte.lib.allocation import split_rows

    if not shares:
        return []
    parts = split_rows([abs(amount)], [shares])[0]
    sign = -1 if amount < 0 else 1
    return [sign * int(p) for p in parts]


@transaction.atomic
def set_seller_credit(
    *,
    sale: Sale,
    seller: Membership,
    kind: str,
    basis_points: int,
    actor: Membership | None,
    reason: str = "",
) -> list[Credit]:
    """Give ``seller`` ``basis_points`` of ``sale`` as a split or overlay credit, by hand.

    A split share is taken from the other split holders in proportion to their shares (the
    sale's splits still sum to 10,000 points and to the sale amount exactly; at 10,000 they
    leave); an overlay credit counts for its seller only. The sale's credits leave the cube,
    are rewritten and come back in the same transaction (``apply_cube``), the sale becomes
    credited by its row (a later rule change no longer re-credits it) and an audit event
    records before and after. Returns the sale's credits."""
    if kind not in CreditKind.values:
        raise DomainError(_("Choose split or overlay."), code="credit_kind", field="credit_kind")
    if not 0 < basis_points <= 10_000:
        raise DomainError(
            _("The share must be above 0 % and at most 100 %."),
            code="share_invalid",
            field="share_bp",
        )
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    workspace = sale.workspace
    credits = list(Credit.objects.for_workspace(workspace).filter(sale=sale).order_by("pk"))
    before = {"credits": [str(c) for c in credits]}
    if kind == CreditKind.SPLIT:
        others = [c for c in credits if c.kind == CreditKind.SPLIT and c.seller_id != seller.pk]
        rest = 10_000 - basis_points
        if not others:
            basis_points, rest = 10_000, 0
        points = _split_exactly(rest, [c.basis_points for c in others]) if rest else []
        kept = [(c, p) for c, p in zip(others, points, strict=True) if p > 0]
        shares = [basis_points] + [p for _c, p in kept]
        amounts = _split_exactly(sale.amount, shares)
        rows = [(seller.pk, basis_points, amounts[0])] + [
            (c.seller_id, p, a) for (c, p), a in zip(kept, amounts[1:], strict=True)
        ]
    else:
        share = _split_exactly(sale.amount, [basis_points, 10_000 - basis_points])[0]
        rows = [(seller.pk, basis_points, share)] + [
            (c.seller_id, c.basis_points, c.amount)
            for c in credits
            if c.kind == CreditKind.OVERLAY and c.seller_id != seller.pk
        ]
    units = {c.seller_id: c.unit_id for c in credits}
    with connection.cursor() as c:
        apply_cube(c, workspace.pk, -1, "c.sale_id = %s AND c.kind = %s", [sale.pk, kind])
    Credit.objects.for_workspace(workspace).filter(sale=sale, kind=kind).delete()
    new = [
        Credit(
            workspace=workspace,
            sale=sale,
            seller_id=seller_id,
            unit_id=units.get(seller_id) or _team_on(seller_id, sale, workspace),
            kind=kind,
            basis_points=bp,
            amount=amount,
            origin="row",
        )
        for seller_id, bp, amount in rows
    ]
    Credit.objects.bulk_create(new)
    Credit.objects.for_workspace(workspace).filter(sale=sale).update(origin="row")
    sale.credit_origin = "row"
    sale.save(update_fields=["credit_origin"])
    with connection.cursor() as c:
        apply_cube(c, workspace.pk, 1, "c.sale_id = %s AND c.kind = %s", [sale.pk, kind])
        drop_empty_cells(c, workspace.pk)
    after = list(Credit.objects.for_workspace(workspace).filter(sale=sale).order_by("pk"))
    record(
        workspace=workspace,
        actor=actor,
        action="sale.credited",
        obj=sale,
        before=before,
        after={"credits": [str(c) for c in after], "reason": reason},
    )
    workspace_id = workspace.pk
    transaction.on_commit(lambda: warm_overview.enqueue(workspace_id))
    return after


def _team_on(seller_id: int, sale: Sale, workspace: Workspace) -> int:
    """The seller's team on the day of the sale (as ``team_of_the_day``)."""
    from pacte.org.models import Placement

    placements = Placement.objects.for_workspace(workspace).filter(membership_id=seller_id)
    found = (
        placements.filter(valid_from__lte=sale.date).order_by("-valid_from").first()
        or placements.order_by("valid_from").first()
    )
    return found.unit_id if found else root_unit(workspace).pk
