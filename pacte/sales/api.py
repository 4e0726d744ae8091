import re
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from pacte.accounts.access import ADMIN_ROLES, get_member_for, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.api_auth import request_member
from pacte.api_pagination import Mapped
from pacte.errors import DomainError
from pacte.jobs.schemas import JobOut
from pacte.jobs.work import job_out as background_job_out
from pacte.lib.currency import rate_decimal
from pacte.sales import import_jobs, selectors, services, work
from pacte.sales import rates as rate_services
from pacte.sales.models import Channel, CreditRule, ExchangeRate, ImportJob, Sale
from pacte.sales.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    CurrencySettingsIn,
    CurrencySettingsOut,
    ImportJobOut,
    RateIn,
    RateOut,
    RatesResult,
    RuleIn,
    RuleOut,
    RulePatch,
    SaleFilter,
    SaleOut,
)

router = Router(tags=["sales"])


def _admin(request: HttpRequest) -> Membership:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return member


def _channel_out(c: Channel) -> dict[str, Any]:
    return {
        "uuid": c.uuid,
        "code": c.code,
        "name_en": c.name_en,
        "name_fr": c.name_fr,
        "position": c.position,
        "is_active": c.is_active,
    }


def job_out(job: ImportJob) -> dict[str, Any]:
    return {
        "uuid": job.uuid,
        "kind": job.kind,
        "source": job.source,
        "file_name": job.file_name,
        "status": job.status,
        "progress": job.progress,
        "rows_read": job.rows_read,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "error_count": job.error_count,
        "message": import_jobs.job_message(job),
        "errors": import_jobs.error_rows(job),
    }


def _rule_out(r: CreditRule) -> dict[str, Any]:
    return {
        "uuid": r.uuid,
        "channel": r.channel.uuid if r.channel else None,
        "territory": r.territory,
        "kind": r.kind,
        "target": r.target,
        "owner": r.owner.uuid if r.owner else None,
        "priority": r.priority,
        "is_active": r.is_active,
        "version": r.version,
    }


@router.get("/channels", response=list[ChannelOut], summary="Channels of the workspace")
def channels(request: HttpRequest) -> list[dict[str, Any]]:
    member = request_member(request)
    return [_channel_out(c) for c in Channel.objects.for_workspace(member.workspace)]


@router.post("/channels", response={201: ChannelOut}, summary="Add a channel (admins)")
def channel_create(request: HttpRequest, payload: ChannelIn) -> tuple[int, dict[str, Any]]:
    member = _admin(request)
    channel = services.create_channel(
        workspace=member.workspace, actor=member, **payload.model_dump()
    )
    return 201, _channel_out(channel)


@router.patch("/channels/{channel_id}", response=ChannelOut, summary="Edit a channel (admins)")
def channel_patch(request: HttpRequest, channel_id: str, payload: ChannelPatch) -> dict[str, Any]:
    member = request_member(request)
    channel = get_scoped(Channel.objects.for_workspace(member.workspace), channel_id)
    require_role(member, *ADMIN_ROLES)
    return _channel_out(
        services.update_channel(channel=channel, actor=member, **payload.model_dump())
    )


@router.get("/sales", response=list[SaleOut], summary="Sales you may see, filtered")
@paginate(LimitOffsetPagination)
def sales(request: HttpRequest, filters: Query[SaleFilter]) -> list[dict[str, Any]]:
    member = request_member(request)
    qs = selectors.filter_sales(
        Sale.objects.visible_to(member).select_related("channel", "customer"),
        q=filters.q,
        channel=filters.channel,
        date_from=filters.date_from,
        date_to=filters.date_to,
        seller=filters.seller,
    ).order_by("-date", "-pk")
    return _LazySales(qs, member.workspace.currency)  # type: ignore[return-value]


class _LazySales:
    """Slices of the queryset rendered with their credits in one more query (no N+1)."""

    def __init__(self, qs: Any, currency: str) -> None:
        self.qs, self.currency = qs, currency

    def __len__(self) -> int:
        return self.qs.count()

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        page = list(self.qs[item])
        credits = selectors.credits_of(page)
        return [
            {
                "uuid": s.uuid,
                "source": s.source,
                "external_id": s.external_id,
                "date": s.date,
                "amount": s.amount,
                "currency": self.currency,
                "own_currency": s.currency or self.currency,
                "own_amount": s.amount if s.currency_amount is None else s.currency_amount,
                "channel": s.channel.code,
                "customer": s.customer.name if s.customer else None,
                "territory": s.territory,
                "solution": s.solution,
                "credits": [
                    {
                        "seller": c.seller.uuid,
                        "seller_name": c.seller.name,
                        "kind": c.kind,
                        "basis_points": c.basis_points,
                        "amount": c.amount,
                    }
                    for c in credits.get(s.pk, [])
                ],
            }
            for s in page
        ]


@router.post(
    "/sales/ingest",
    response=ImportJobOut,
    summary="Bulk ingestion (admins): a JSON array of sales or JSON lines; all or nothing",
    description=(
        "Each object has the import fields: external_id, date (ISO), amount (a string or number "
        'in currency units, e.g. "1234.56"), channel (code or name), and optionally seller '
        '(e-mail), split ("a@x:60;b@y:40"), overlay, currency, customer, territory, solution, '
        "partner (a partner's code: credited to the partner, with an overlay to its channel "
        "manager). Same validation and idempotency as file imports; `errors` lists the bad lines."
    ),
)
def sales_ingest(request: HttpRequest, source: str = "api") -> dict[str, Any]:
    member = _admin(request)
    records = import_jobs.parse_records(request.body)
    job = import_jobs.ingest_records(
        workspace=member.workspace, actor=member, records=records, source=source
    )
    return job_out(job)


@router.delete("/sales/{sale_id}", response={204: None}, summary="Delete a sale (admins)")
def sale_delete(request: HttpRequest, sale_id: str) -> tuple[int, None]:
    member = request_member(request)
    sale = get_scoped(Sale.objects.for_workspace(member.workspace), sale_id)
    require_role(member, *ADMIN_ROLES)
    services.delete_sales(
        workspace=member.workspace, actor=member, sales=Sale.objects.filter(pk=sale.pk)
    )
    return 204, None


@router.get("/imports", response=list[ImportJobOut], summary="Recent imports (admins)")
@paginate(LimitOffsetPagination)
def imports(request: HttpRequest) -> list[dict[str, Any]]:
    member = _admin(request)
    return [job_out(j) for j in ImportJob.objects.for_workspace(member.workspace)[:200]]


@router.get("/imports/{job_id}", response=ImportJobOut, summary="An import's status (admins)")
def import_detail(request: HttpRequest, job_id: str) -> dict[str, Any]:
    member = request_member(request)
    job = get_scoped(ImportJob.objects.for_workspace(member.workspace), job_id)
    require_role(member, *ADMIN_ROLES)
    return job_out(job)


@router.post("/imports/{job_id}/cancel", response=ImportJobOut, summary="Cancel an import")
def import_cancel(request: HttpRequest, job_id: str) -> dict[str, Any]:
    member = request_member(request)
    job = get_scoped(ImportJob.objects.for_workspace(member.workspace), job_id)
    require_role(member, *ADMIN_ROLES)
    return job_out(import_jobs.request_cancel(job=job))


def _rule_fields(member: Membership, payload: Any, *, partial: bool) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=partial)
    data.pop("version", None)
    clear = data.pop("clear_channel", False)
    if "channel" in data:
        data["channel"] = (
            get_scoped(Channel.objects.for_workspace(member.workspace), data["channel"])
            if data["channel"]
            else None
        )
    if clear:
        data["channel"] = None
    if "owner" in data:
        data["owner"] = get_member_for(member, data["owner"]) if data["owner"] else None
    return data


@router.get("/rules", response=list[RuleOut], summary="Crediting rules (admins)")
def rules(request: HttpRequest) -> list[dict[str, Any]]:
    member = _admin(request)
    qs = CreditRule.objects.for_workspace(member.workspace).select_related("channel", "owner")
    return [_rule_out(r) for r in qs]


@router.post(
    "/rules",
    response={201: RuleOut, 202: JobOut},
    summary="Add a crediting rule (admins; 202 with a job when it runs in the background)",
)
def rule_create(request: HttpRequest, payload: RuleIn) -> tuple[int, dict[str, Any]]:
    member = _admin(request)
    fields = _rule_fields(member, payload, partial=False)
    if work.in_background(member.workspace):
        job = work.start_rule_change(
            workspace=member.workspace, actor=member, op="create", fields=fields
        )
        return 202, background_job_out(job)
    rule = services.create_rule(workspace=member.workspace, actor=member, **fields)
    return 201, _rule_out(rule)


@router.patch(
    "/rules/{rule_id}",
    response={200: RuleOut, 202: JobOut},
    summary="Edit a crediting rule (412 if stale; 202 with a job when it runs in the background)",
)
def rule_patch(
    request: HttpRequest, rule_id: str, payload: RulePatch
) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    rule = get_scoped(CreditRule.objects.for_workspace(member.workspace), rule_id)
    require_role(member, *ADMIN_ROLES)
    fields = _rule_fields(member, payload, partial=True)
    if work.in_background(member.workspace):
        job = work.start_rule_change(
            workspace=member.workspace,
            actor=member,
            op="update",
            rule=rule,
            version=payload.version,
            fields=fields,
        )
        return 202, background_job_out(job)
    rule = services.update_rule(rule=rule, actor=member, version=payload.version, **fields)
    return 200, _rule_out(rule)


@router.delete(
    "/rules/{rule_id}",
    response={204: None, 202: JobOut},
    summary="Delete a crediting rule (202 with a job when it runs in the background)",
)
def rule_delete(
    request: HttpRequest, rule_id: str, version: int | None = None
) -> tuple[int, dict[str, Any] | None]:
    member = request_member(request)
    rule = get_scoped(CreditRule.objects.for_workspace(member.workspace), rule_id)
    require_role(member, *ADMIN_ROLES)
    if work.in_background(member.workspace):
        job = work.start_rule_change(
            workspace=member.workspace, actor=member, op="delete", rule=rule, version=version
        )
        return 202, background_job_out(job)
    services.delete_rule(rule=rule, actor=member, version=version)
    return 204, None


# --------------------------------------------------------------------------- currencies


def _rate_out(r: ExchangeRate) -> dict[str, Any]:
    return {
        "uuid": r.uuid,
        "currency": r.currency,
        "date": r.date,
        "rate": str(rate_decimal(r.rate)),
        "version": r.version,
    }


@router.get("/rates", response=list[RateOut], summary="Exchange rates (admins)")
@paginate(LimitOffsetPagination)
def rates(request: HttpRequest, currency: str = "") -> list[dict[str, Any]]:
    member = _admin(request)
    qs = ExchangeRate.objects.for_workspace(member.workspace).order_by("currency", "date", "pk")
    if currency:
        qs = qs.filter(currency=currency.strip().upper())
    return Mapped(qs, _rate_out)  # type: ignore[return-value]


_RATE_TEXT = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")


@router.post(
    "/rates",
    response=RatesResult,
    summary="Add or change exchange rates (admins); all or nothing",
    description=(
        "A list of rates. A new or changed rate converts again the sales it covers (their "
        "credits and the cube too). Refused with located errors (`details`: index in the list "
        "as `line`, `column`, `code`): an unknown currency code, the workspace currency, a rate "
        "of zero or less, a rate that would change a sale in a closed period."
    ),
)
def rates_set(request: HttpRequest, payload: list[RateIn]) -> dict[str, Any]:
    member = _admin(request)
    items: list[rate_services.RateInput] = []
    problems: list[dict[str, Any]] = []
    for line, item in enumerate(payload, start=1):
        text = item.rate.strip()
        if not _RATE_TEXT.match(text):
            problems.append({"line": line, "column": "rate", "code": "rate_invalid", "value": text})
            continue
        items.append(
            rate_services.RateInput(
                currency=item.currency, date=item.date, rate=Decimal(text), line=line
            )
        )
    if problems:
        raise DomainError(
            rate_services.rate_message("rate_invalid"),
            code="invalid_rates",
            details=[{**p, "message": rate_services.rate_message(p["code"])} for p in problems],
        )
    version = payload[0].version if len(payload) == 1 else None
    return rate_services.set_rates(
        workspace=member.workspace, actor=member, rates=items, version=version
    )


def _settings_out(member: Membership) -> dict[str, Any]:
    found = rate_services.currency_settings(member.workspace)
    return {
        "currency": member.workspace.currency,
        "missing_rate": found.missing_rate,
        "version": found.version,
    }


@router.get(
    "/currency-settings", response=CurrencySettingsOut, summary="Currency settings (admins)"
)
def currency_settings(request: HttpRequest) -> dict[str, Any]:
    return _settings_out(_admin(request))


@router.put(
    "/currency-settings",
    response=CurrencySettingsOut,
    summary="What an import does with a sale whose date has no rate (admins)",
)
def currency_settings_set(request: HttpRequest, payload: CurrencySettingsIn) -> dict[str, Any]:
    member = _admin(request)
    rate_services.set_missing_rate_rule(
        workspace=member.workspace,
        actor=member,
        rule=payload.missing_rate,
        version=payload.version,
    )
    return _settings_out(member)
