"""Targets: fiscal years, the company target, sellers' potentials and capacities.

Cascade runs are in :mod:`.runs`, their computation in :mod:`.cascade`, their storage in
:mod:`.storage`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.amounts import check_amount
from pacte.audit.services import record
from pacte.errors import DomainError, check_version
from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import AmbiguousAmounts
from pacte.org.models import Unit
from pacte.planning.models import (
    Capacity,
    CompanyTarget,
    Leave,
    Potential,
)
from pacte.sales.models import Channel
from pacte.uploads import FileTooLarge


def is_closed(workspace: Workspace, fiscal_year: int, today: datetime.date | None = None) -> bool:
    """A fiscal year is closed once its last day is past (in the server's time zone)."""
    return workspace.calendar.fy_end(fiscal_year) < (today or timezone.localdate())


def parse_year(workspace: Workspace, key: object, *, field_name: str = "year") -> int:
    """A fiscal year key (``FY2027``) to its number; anything else is a clear 400."""
    try:
        period = workspace.calendar.parse_period(str(key))
    except ValueError:
        raise DomainError(
            _("“%(key)s” is not a fiscal year: write it like FY2027.") % {"key": key},
            code="bad_period",
            field=field_name,
        ) from None
    if period.number is not None:
        raise DomainError(
            _("“%(key)s” is not a fiscal year: write it like FY2027.") % {"key": key},
            code="bad_period",
            field=field_name,
        )
    return period.fy


# ------------------------------------------------------------------------------------------
# company target


@transaction.atomic
def set_company_target(
    *,
    workspace: Workspace,
    actor: Membership | None,
    fiscal_year: int,
    amount: int,
    channel_split: Mapping[str, int] | None = None,
    version: int | None = None,
) -> CompanyTarget:
    """Create or change the company target of a fiscal year (amounts in minor units).

    ``channel_split`` maps channel codes to amounts that must sum exactly to ``amount``.
    """
    amount = check_amount(amount, workspace.currency)
    split: dict[str, int] = {}
    if channel_split:
        codes = set(Channel.objects.for_workspace(workspace).values_list("code", flat=True))
        for code, value in channel_split.items():
            if code not in codes:
                raise DomainError(
                    _("Unknown channel “%(code)s”.") % {"code": code},
                    code="unknown_channel",
                    field="channel_split",
                )
            value = check_amount(value, workspace.currency, field="channel_split")
            if value:
                split[code] = value
        if sum(split.values()) != amount:
            raise DomainError(
                _("The channel amounts sum to %(sum)s, not to the target %(amount)s.")
                % {"sum": sum(split.values()), "amount": amount},
                code="split_mismatch",
                field="channel_split",
            )
    target = (
        CompanyTarget.objects.select_for_update()
        .filter(workspace=workspace, fiscal_year=fiscal_year)
        .first()
    )
    if target is None:
        target = CompanyTarget.objects.create(
            workspace=workspace,
            fiscal_year=fiscal_year,
            amount=amount,
            channel_split=split,
            updated_by=actor,
        )
        before = None
    else:
        check_version(target, version)
        before = {"amount": target.amount, "channel_split": target.channel_split}
        if before == {"amount": amount, "channel_split": split}:
            return target
        target.amount = amount
        target.channel_split = split
        target.version += 1
        target.updated_by = actor
        target.updated_at = timezone.now()
        target.save()
    record(
        workspace=workspace,
        actor=actor,
        action="target.set",
        obj=target,
        before=before,
        after={"amount": amount, "channel_split": split},
    )
    return target


# ------------------------------------------------------------------------------------------
# potential import and capacity


#: Largest potentials file read (they are read whole: one line per seller or team).
POTENTIAL_MAX_BYTES = 10 * 1024 * 1024
POTENTIAL_COLUMNS = ("seller", "team", "potential")


@dataclass
class PotentialImportResult:
    stored: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _potential_amounts(texts: list[str], workspace: Workspace) -> tuple[list[int], list[str]]:
    """The potential column of a file, read like the sales import reads its amount column
    (decimal comma or point decided for the whole column, a column that reads two ways
    refused): the amounts, and the problem of each line ("" when none)."""
    import polars as pl

    from pacte.lib.money import exponent
    from pacte.sales.reasons import file_message, row_message

    try:
        parsed = parse_amounts(
            pl.Series(texts, dtype=pl.String), exponent=exponent(workspace.currency)
        )
    except AmbiguousAmounts as exc:
        raise DomainError(
            file_message("ambiguous_amounts"),
            code="ambiguous_amounts",
            field="potential",
            details=list(exc.examples),
        ) from exc
    amounts: list[int] = []
    problems: list[str] = []
    for value, reason in zip(parsed.values.to_list(), parsed.reasons.to_list(), strict=True):
        if reason:
            problems.append(row_message(reason))
        elif value is None:
            problems.append(_("Enter an amount."))
        elif value < 0:
            problems.append(_("An amount cannot be negative."))
        else:
            problems.append("")
        amounts.append(int(value or 0))
    return amounts, problems


@transaction.atomic
def import_potential(
    *, workspace: Workspace, actor: Membership | None, fiscal_year: int, data: bytes
) -> PotentialImportResult:
    """Replace a year's potentials from CSV: ``seller`` (e-mail) or ``team`` (name), ``potential``
    (major units, decimal comma or point). All or nothing: any bad line (unknown seller or team, bad amount) is
    reported with its number and nothing is stored."""
    from pacte.org.people_import import csv_rows

    if len(data) > POTENTIAL_MAX_BYTES:
        raise FileTooLarge(POTENTIAL_MAX_BYTES)
    names, reader = csv_rows(data)
    header = [h.strip().lower() for h in names]
    if "potential" not in header or not ({"seller", "team"} & set(header)):
        raise DomainError(
            _("Line 1 (header): expected the columns seller or team, and potential."),
            code="bad_header",
        )
    index = {name: header.index(name) for name in POTENTIAL_COLUMNS if name in header}
    sellers = {
        email.lower(): pk
        for pk, email in Membership.objects.for_workspace(workspace)
        .filter(is_seller=True)
        .values_list("pk", "user__email")
    }
    units = {
        name.casefold(): pk
        for pk, name in Unit.objects.for_workspace(workspace).values_list("pk", "name")
    }
    lines = [
        (line, {name: (values[i].strip() if i < len(values) else "") for name, i in index.items()})
        for line, values in enumerate(reader, start=2)
        if any(v.strip() for v in values)
    ]
    amounts, reasons = _potential_amounts(
        [cell.get("potential", "") for _l, cell in lines], workspace
    )
    result = PotentialImportResult()
    rows: list[Potential] = []
    for (line, cell), amount, reason in zip(lines, amounts, reasons, strict=True):
        seller_key, team_key = cell.get("seller", ""), cell.get("team", "")
        problems = []
        seller_id = unit_id = None
        if seller_key and team_key:
            problems.append(_("give a seller or a team, not both."))
        elif seller_key:
            seller_id = sellers.get(seller_key.lower())
            if seller_id is None:
                problems.append(_("unknown seller “%(seller)s”.") % {"seller": seller_key})
        elif team_key:
            unit_id = units.get(team_key.casefold())
            if unit_id is None:
                problems.append(_("unknown team “%(team)s”.") % {"team": team_key})
        else:
            problems.append(_("the seller and the team are both empty."))
        if reason:
            problems.append(reason)
        if problems:
            result.errors.append((line, " ".join(problems)))
            continue
        rows.append(
            Potential(
                workspace=workspace,
                fiscal_year=fiscal_year,
                seller_id=seller_id,
                unit_id=unit_id,
                amount=amount,
            )
        )
    if result.errors:
        return result
    Potential.objects.for_workspace(workspace).filter(fiscal_year=fiscal_year).delete()
    Potential.objects.bulk_create(rows, batch_size=2000)
    result.stored = len(rows)
    record(
        workspace=workspace,
        actor=actor,
        action="potential.imported",
        object_type="potential",
        object_id=f"FY{fiscal_year}",
        object_repr=f"FY{fiscal_year}",
        after={"rows": len(rows), "total": sum(r.amount for r in rows)},
    )
    return result


@transaction.atomic
def set_capacity(
    *,
    seller: Membership,
    actor: Membership | None,
    fte: object,
    leaves: list[tuple[datetime.date, datetime.date]] | None = None,
) -> Capacity:
    """Set a seller's FTE (0..1) and, when given, replace their leave periods."""
    try:
        value = Decimal(str(fte))
    except InvalidOperation:
        raise DomainError(
            _("“%(value)s” is not a number.") % {"value": fte}, code="not_a_number", field="fte"
        ) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise DomainError(_("FTE is between 0 and 1."), code="bad_fte", field="fte")
    for start, end in leaves or []:
        if end < start:
            raise DomainError(_("A leave ends before it starts."), code="bad_leave", field="leaves")
    capacity, _created = Capacity.objects.select_for_update().get_or_create(
        seller=seller, defaults={"workspace_id": seller.workspace_id}
    )
    before = {"fte": str(capacity.fte)}
    capacity.fte = value.quantize(Decimal("0.01"))
    capacity.version += 1
    capacity.save()
    if leaves is not None:
        Leave.objects.for_workspace(seller.workspace_id).filter(seller=seller).delete()
        Leave.objects.bulk_create(
            [
                Leave(workspace_id=seller.workspace_id, seller=seller, start=s, end=e)
                for s, e in leaves
            ]
        )
    record(
        workspace=seller.workspace,
        actor=actor,
        action="capacity.updated",
        obj=seller,
        object_type="capacity",
        before=before,
        after={"fte": str(capacity.fte), "leaves": leaves},
    )
    return capacity
