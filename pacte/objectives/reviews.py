"""Period reviews: at a fiscal quarter's close, every seller below their agreed objective (or
their reference share when they have none) says why — reasons from the workspace's list, text —
and what they change next period; their lead answers. Workflows here (each atomic, audited);
reads in ``selectors``.

Rules:
- A quarter is closed the day after its last day (in the workspace's calendar).
- "Below" compares the seller's actual for the quarter (split + overlay, their own attainment)
  with the part of their agreed objective phased into the quarter; without an agreed objective,
  with the part of their reference share (the published run) phased into it; with neither, the
  seller is not asked.
- The gap is split by channel like the shortfalls of each channel (the objective's channel
  split, else the reference share's), exactly; what no channel carries is under "".
- A review is written by its seller only, answered by the seller's lead only (the teams they
  lead and below, as for check-ins); once answered it is closed for the seller.
- A partner organisation's seat is asked like any seller: its people write the review through
  their partner pages (``pacte.partners``), its channel manager answers it, and the gap no
  channel carries is its partner's channel's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.errors import DomainError, PermissionDenied, StaleVersion
from pacte.lib.fiscal import Month
from pacte.objectives import references
from pacte.objectives.models import (
    Objective,
    PeriodReview,
    ReviewBasis,
    ReviewReason,
    ReviewStatus,
    Status,
)
from pacte.objectives.selectors import reviews_answerable_by

#: The list a workspace starts with: (code, English, French).
DEFAULT_REASONS: tuple[tuple[str, str, str], ...] = (
    ("pipeline_slipped", "Pipeline slipped", "Pipeline décalé"),
    ("lost_to_competitor", "Lost to a competitor", "Perdu face à un concurrent"),
    ("territory_change", "Territory change", "Changement de territoire"),
    ("absence", "Absence", "Absence"),
    ("pricing", "Pricing", "Prix"),
    ("other", "Other", "Autre"),
)
#: Reminders a seller gets for one review at most, and the days between two.
MAX_REMINDERS = 3
REMIND_EVERY_DAYS = 6
TEXT_LIMIT = 4000


# --------------------------------------------------------------------------- reasons


@dataclass(frozen=True)
class Reason:
    code: str
    name_en: str
    name_fr: str
    is_active: bool = True

    @property
    def label(self) -> str:
        """The name in the active language."""
        if (translation.get_language() or "").startswith("fr"):
            return self.name_fr or self.name_en
        return self.name_en


def reasons_of(workspace: Workspace, *, active_only: bool = False) -> list[Reason]:
    """The workspace's reasons in order (the default list until an admin edits it)."""
    rows = list(
        ReviewReason.objects.for_workspace(workspace)
        .order_by("position", "pk")
        .values_list("code", "name_en", "name_fr", "is_active")
    )
    items = [Reason(*row) for row in rows] or [Reason(*row) for row in DEFAULT_REASONS]
    return [r for r in items if r.is_active] if active_only else items


def reason_labels(workspace: Workspace) -> dict[str, str]:
    """Code → name in the active language, inactive reasons included (old reviews keep them)."""
    return {r.code: r.label for r in reasons_of(workspace)}


def _clean_reason(raw: Mapping[str, Any], line: int) -> Reason:
    from django.utils.text import slugify

    name_en = str(raw.get("name_en") or "").strip()
    name_fr = str(raw.get("name_fr") or "").strip() or name_en
    code = str(raw.get("code") or "").strip() or slugify(name_en).replace("-", "_")[:40]
    field = f"reasons.{line}"
    if not name_en:
        raise DomainError(
            _("Reason %(line)s: give it an English name.") % {"line": line},
            code="reason_name_required",
            field=field,
        )
    if len(name_en) > 120 or len(name_fr) > 120:
        raise DomainError(
            _("Reason %(line)s: a name is at most 120 characters.") % {"line": line},
            code="reason_name_too_long",
            field=field,
        )
    if not code or slugify(code).replace("-", "_") != code or len(code) > 40:
        raise DomainError(
            _("Reason %(line)s: the code is lower-case letters, digits and _ only.")
            % {"line": line},
            code="reason_code_invalid",
            field=field,
        )
    return Reason(code, name_en, name_fr, bool(raw.get("is_active", True)))


@transaction.atomic
def set_reasons(
    *, workspace: Workspace, actor: Membership, reasons: Iterable[Mapping[str, Any]]
) -> list[Reason]:
    """Replace the workspace's list (admins and executives). A reason left out that exists is
    deactivated, never deleted (old reviews keep their label); at least one stays active."""
    from pacte.accounts.access import ADMIN_ROLES, require_role

    require_role(actor, *ADMIN_ROLES)
    items = [_clean_reason(raw, i) for i, raw in enumerate(reasons, start=1)]
    codes = [r.code for r in items]
    for i, code in enumerate(codes, start=1):
        if code in codes[: i - 1]:
            raise DomainError(
                _("Reason %(line)s: the code “%(code)s” is already in the list.")
                % {"line": i, "code": code},
                code="reason_code_duplicate",
                field=f"reasons.{i}",
            )
    if not any(r.is_active for r in items):
        raise DomainError(
            _("Keep at least one active reason."), code="reasons_required", field="reasons"
        )
    before = [r.__dict__ for r in reasons_of(workspace)]
    stored = {r.code: r for r in ReviewReason.objects.for_workspace(workspace)}
    if not stored:  # the defaults become rows, so that one left out is kept, inactive
        for position, (code, en, fr) in enumerate(DEFAULT_REASONS):
            stored[code] = ReviewReason.objects.create(
                workspace=workspace, code=code, name_en=en, name_fr=fr, position=100 + position
            )
    for position, item in enumerate(items):
        row = stored.pop(item.code, None) or ReviewReason(workspace=workspace, code=item.code)
        row.name_en, row.name_fr = item.name_en, item.name_fr
        row.is_active, row.position = item.is_active, position
        row.save()
    for position, row in enumerate(stored.values(), start=len(items)):
        row.is_active, row.position = False, position
        row.save(update_fields=["is_active", "position"])
    after = reasons_of(workspace)
    record(
        workspace=workspace,
        actor=actor,
        action="review_reasons.set",
        object_type="reviewreason",
        object_repr=_("Review reasons"),
        before=before,
        after=[r.__dict__ for r in after],
    )
    return after


# --------------------------------------------------------------------------- periods


def quarter_end(workspace: Workspace, fiscal_year: int, quarter: int) -> datetime.date:
    return workspace.calendar.quarter(fiscal_year, quarter).bounds[1]


def check_period(
    workspace: Workspace, fiscal_year: object, quarter: object, today: datetime.date | None = None
) -> tuple[int, int]:
    """A closed fiscal quarter as (year, quarter), else a located refusal."""
    try:
        fy, q = int(str(fiscal_year)), int(str(quarter))
    except (TypeError, ValueError):
        fy, q = 0, 0
    if not 1 <= q <= 4:
        raise DomainError(
            _("A quarter is a number from 1 to 4."), code="quarter_invalid", field="quarter"
        )
    if not 1900 <= fy <= 9998:
        raise DomainError(
            _("Enter a fiscal year such as 2026."), code="fiscal_year_invalid", field="fiscal_year"
        )
    end = quarter_end(workspace, fy, q)
    if (today or timezone.localdate()) <= end:
        from pacte.lib.dates import format_day

        raise DomainError(
            _("Q%(quarter)s FY%(fy)s is not closed yet: it ends on %(day)s.")
            % {"quarter": q, "fy": fy, "day": format_day(end, translation.get_language())},
            code="period_open",
            field="quarter",
        )
    return fy, q


def last_closed_quarter(workspace: Workspace, day: datetime.date) -> tuple[int, int]:
    """The fiscal quarter that ended last before ``day``."""
    cal = workspace.calendar
    month = Month.of(day)
    back = (cal.month_number_in_year(month) - 1) % 3 + 1  # months into the current quarter
    closed = month.shift(-back)
    return cal.year_of(closed), cal.quarter_of(closed)


@dataclass(frozen=True)
class Shortfall:
    seller_id: int
    unit_id: int | None
    basis: str
    committed: int
    actual: int
    gap_by_channel: dict[str, int]

    @property
    def gap(self) -> int:
        return self.committed - self.actual


def _split(amount: int, weights: Mapping[str, int]) -> dict[str, int]:
    """``amount`` split exactly in proportion to non-negative ``weights`` (largest remainder,
    ties to the first code); all weights zero: everything under ""."""
    total = sum(weights.values())
    if amount <= 0:
        return {}
    if total <= 0:
        return {"": amount}
    parts = {code: amount * w // total for code, w in weights.items()}
    rest = amount - sum(parts.values())
    order = sorted(weights, key=lambda c: (-(amount * weights[c] % total), c))
    for code in order[:rest]:
        parts[code] += 1
    return {code: v for code, v in parts.items() if v}


def shortfalls(
    workspace: Workspace, fiscal_year: int, quarter: int, seller_ids: Collection[int] | None = None
) -> list[Shortfall]:
    """Active sellers below what they committed for the quarter (a few grouped queries)."""
    cal = workspace.calendar
    months = cal.quarter(fiscal_year, quarter).month_indexes
    first = cal.first_month_index(fiscal_year)
    part = slice(months.start - first, months.stop - first)
    sellers = Membership.objects.for_workspace(workspace).active().filter(is_seller=True)
    if seller_ids is not None:
        sellers = sellers.filter(pk__in=list(seller_ids))
    ids = list(sellers.values_list("pk", flat=True))
    objectives = {
        o.seller_id: o
        for o in Objective.objects.for_workspace(workspace).filter(
            fiscal_year=fiscal_year, status=Status.AGREED, seller_id__in=ids
        )
    }
    refs = references.references_for(workspace, fiscal_year, ids if len(ids) <= 500 else None)
    actual_by = references.actuals_by_channel(workspace, months, ids)
    units = references.placed_units(workspace, ids, quarter_end(workspace, fiscal_year, quarter))
    seat_channels = _seat_channels(workspace, ids)
    out = []
    for seller_id in ids:
        objective, ref = objectives.get(seller_id), refs.get(seller_id)
        if objective is not None:
            basis = ReviewBasis.OBJECTIVE
            committed = sum(int(m) for m in (objective.months or [])[part])
            committed_by = _split(
                committed * sum(objective.channel_split.values()) // 10_000,
                {c: int(bp) for c, bp in objective.channel_split.items()},
            )
            unsplit = committed - sum(committed_by.values())
            if unsplit:
                committed_by[""] = committed_by.get("", 0) + unsplit
        elif ref is not None and ref.exists:
            basis = ReviewBasis.TARGET
            committed = sum(ref.by_month[part])
            committed_by = _split(committed, {c or "": v for c, v in ref.by_channel.items()})
        else:
            continue
        own_channel = seat_channels.get(seller_id)
        if own_channel is not None and "" in committed_by:
            # A partner sells through its own channel: what no channel carries is that one's.
            committed_by[own_channel] = committed_by.get(own_channel, 0) + committed_by.pop("")
        actuals = actual_by.get(seller_id, {})
        actual = sum(actuals.values())
        if committed <= 0 or actual >= committed:
            continue
        short = {c: max(0, v - actuals.get(c, 0)) for c, v in committed_by.items()}
        out.append(
            Shortfall(
                seller_id=seller_id,
                unit_id=units.get(seller_id),
                basis=basis,
                committed=committed,
                actual=actual,
                gap_by_channel=_split(committed - actual, short),
            )
        )
    return out


def _seat_channels(workspace: Workspace, seller_ids: Collection[int]) -> dict[int, str]:
    """Partner seats among ``seller_ids`` → the code of their partner's channel (one query over
    the workspace's seats, a few, rather than a list of every seller)."""
    wanted = set(seller_ids)
    seats = (
        Membership.objects.for_workspace(workspace)
        .filter(partner_seat__isnull=False)
        .values_list("pk", "partner_seat__channel__code")
    )
    return {pk: code for pk, code in seats if pk in wanted}


# --------------------------------------------------------------------------- requests


def review_url(review: PeriodReview) -> str:
    return reverse("objectives:review", kwargs={"uuid": review.uuid})


def partner_review_url(review: PeriodReview) -> str:
    """The review as a partner's people open it (their own page of it)."""
    return reverse("partner:review", kwargs={"uuid": review.uuid})


def _notify(review: PeriodReview, recipient: Membership, kind: str, **extra: Any) -> None:
    from pacte.objectives.services import notify

    notify(
        recipient=recipient,
        kind=kind,
        params={
            "fy": review.fiscal_year,
            "quarter": review.quarter,
            "amount": review.actual,
            "reference": review.committed,
            "seller": review.seller.name,
            **extra,
        },
        url=review_url(review),
        partner_url=partner_review_url(review),
    )


def request_reviews(
    *,
    workspace: Workspace,
    fiscal_year: object,
    quarter: object,
    actor: Membership | None = None,
    today: datetime.date | None = None,
    exclude: Collection[int] = (),
    notified: Callable[[list[Membership]], object] | None = None,
) -> list[PeriodReview]:
    """Ask every seller below their commitment for a closed quarter for a review; returns the
    reviews created now. Once per seller and quarter: the unique key keeps a second request (a
    run taken up again, two schedulers, an executive's click) from writing or notifying again.
    A quarter not closed yet is refused and nothing is written."""
    fy, q = check_period(workspace, fiscal_year, quarter, today)
    found = shortfalls(workspace, fy, q)
    with transaction.atomic():
        existing = set(
            PeriodReview.objects.for_workspace(workspace)
            .filter(fiscal_year=fy, quarter=q)
            .values_list("seller_id", flat=True)
        )
        new = [s for s in found if s.seller_id not in existing and s.seller_id not in exclude]
        PeriodReview.objects.bulk_create(
            [
                PeriodReview(
                    workspace=workspace,
                    seller_id=s.seller_id,
                    unit_id=s.unit_id,
                    fiscal_year=fy,
                    quarter=q,
                    basis=s.basis,
                    committed=s.committed,
                    actual=s.actual,
                    gap=s.gap,
                    gap_by_channel=s.gap_by_channel,
                )
                for s in new
            ],
            ignore_conflicts=True,
        )
        created = list(
            PeriodReview.objects.for_workspace(workspace)
            .filter(
                fiscal_year=fy,
                quarter=q,
                seller_id__in=[s.seller_id for s in new],
            )
            .select_related("seller__user", "seller__workspace")
        )
        for review in created:
            _notify(review, review.seller, "review_requested")
        if created:
            record(
                workspace=workspace,
                actor=actor,
                action="review.requested",
                object_type="periodreview",
                object_repr=f"Q{q} FY{fy}",
                after={"fiscal_year": fy, "quarter": q, "sellers": len(created)},
            )
        if notified is not None:
            notified([r.seller for r in created])
    return created


def remind_reviews(
    *,
    workspace: Workspace,
    fiscal_year: int,
    quarter: int,
    now: datetime.datetime | None = None,
    exclude: Collection[int] = (),
    notified: Callable[[list[Membership]], object] | None = None,
) -> int:
    """Remind the sellers whose review of the quarter still waits (at most ``MAX_REMINDERS``
    times each, ``REMIND_EVERY_DAYS`` apart, the request itself counting as the first)."""
    now = now or timezone.now()
    due = now - datetime.timedelta(days=REMIND_EVERY_DAYS)
    waiting = list(
        PeriodReview.objects.for_workspace(workspace)
        .filter(
            fiscal_year=fiscal_year,
            quarter=quarter,
            status=ReviewStatus.REQUESTED,
            reminders__lt=MAX_REMINDERS,
            created_at__lte=due,
            seller__is_active=True,
        )
        .exclude(reminded_at__gt=due)
        .exclude(seller_id__in=list(exclude))
        .select_related("seller__user", "seller__workspace")
    )
    with transaction.atomic():
        for review in waiting:
            _notify(review, review.seller, "review_reminder")
        PeriodReview.objects.filter(pk__in=[r.pk for r in waiting]).update(
            reminders=F("reminders") + 1, reminded_at=now
        )
        if notified is not None:
            notified([r.seller for r in waiting])
    return len(waiting)


# --------------------------------------------------------------------------- writing


def _text(value: object, field: str) -> str:
    text = str(value or "").strip()
    if len(text) > TEXT_LIMIT:
        raise DomainError(_("At most 4,000 characters."), code="text_too_long", field=field)
    return text


def _check_reasons(workspace: Workspace, reasons: object) -> list[str]:
    codes = [str(c).strip() for c in (reasons if isinstance(reasons, list | tuple) else [])]
    codes = list(dict.fromkeys(c for c in codes if c))
    if not codes:
        raise DomainError(
            _("Choose at least one reason."), code="reasons_required", field="reasons"
        )
    allowed = {r.code for r in reasons_of(workspace, active_only=True)}
    for code in codes:
        if code not in allowed:
            raise DomainError(
                _("“%(code)s” is not one of the workspace's review reasons.") % {"code": code},
                code="reason_invalid",
                field="reasons",
            )
    return codes


def _not_own(field: str = "seller") -> PermissionDenied:
    exc = PermissionDenied(
        _("A review is written by the seller it is about."), code="review_of_another_seller"
    )
    exc.field = field
    return exc


@transaction.atomic
def submit_review(
    *,
    review: PeriodReview,
    actor: Membership,
    reasons: object,
    text: object = "",
    next_change: object = "",
    version: int | None = None,
) -> PeriodReview:
    """The seller writes (or rewrites, until the lead answers) their review; their lead is
    notified. Refused, with nothing written: someone else's review, a reason not in the list,
    no reason, "other" without text, nothing said about next period, a stale version."""
    if review.seller_id != actor.pk:
        raise _not_own()
    review = PeriodReview.objects.select_for_update().get(pk=review.pk)
    if version is not None and version != review.version:
        raise StaleVersion(_("This review was changed since you opened it. Reload and try again."))
    if review.status == ReviewStatus.ANSWERED:
        raise DomainError(
            _("Your lead has answered this review: it is closed."),
            code="review_closed",
            field="reasons",
        )
    codes = _check_reasons(review.workspace, reasons)
    said = _text(text, "text")
    if "other" in codes and not said:
        raise DomainError(
            _("You chose “other”: say what happened."), code="text_required", field="text"
        )
    change = _text(next_change, "next_change")
    if not change:
        raise DomainError(
            _("Say what you change next period."),
            code="next_change_required",
            field="next_change",
        )
    before = {"reasons": review.reasons, "text": review.text, "next_change": review.next_change}
    review.reasons, review.text, review.next_change = codes, said, change
    review.status, review.submitted_at = ReviewStatus.SUBMITTED, timezone.now()
    review.version += 1
    review.save()
    record(
        workspace=review.workspace,
        actor=actor,
        action="review.submitted",
        obj=review,
        object_repr=f"{actor.name} Q{review.quarter} FY{review.fiscal_year}",
        before=before,
        after={"reasons": codes, "text": said, "next_change": change},
    )
    lead = references.handler_for(actor)  # the delegation map's lead, when they may answer
    if lead is not None and reviews_answerable_by(lead).filter(pk=review.pk).exists():
        _notify(review, lead, "review_submitted")
    return review


def review_for_period(
    *,
    actor: Membership,
    fiscal_year: object,
    quarter: object,
    seller: Membership | None = None,
    today: datetime.date | None = None,
) -> PeriodReview:
    """The actor's own review of a closed quarter (made now if the schedule has not asked yet).
    Refused: a review for another seller (403, field ``seller``), a quarter not closed, a
    quarter the seller reached."""
    if seller is not None and seller.pk != actor.pk:
        raise _not_own()
    fy, q = check_period(actor.workspace, fiscal_year, quarter, today)
    review = (
        PeriodReview.objects.for_workspace(actor.workspace)
        .filter(seller=actor, fiscal_year=fy, quarter=q)
        .first()
    )
    if review is not None:
        return review
    found = shortfalls(actor.workspace, fy, q, [actor.pk])
    if not found:
        raise DomainError(
            _("You reached what you committed for Q%(quarter)s FY%(fy)s: nothing to review.")
            % {"quarter": q, "fy": fy},
            code="no_shortfall",
            field="quarter",
        )
    s = found[0]
    review, _created = PeriodReview.objects.get_or_create(
        workspace=actor.workspace,
        seller=actor,
        fiscal_year=fy,
        quarter=q,
        defaults={
            "unit_id": s.unit_id,
            "basis": s.basis,
            "committed": s.committed,
            "actual": s.actual,
            "gap": s.gap,
            "gap_by_channel": s.gap_by_channel,
        },
    )
    return review


@transaction.atomic
def answer_review(
    *, review: PeriodReview, actor: Membership, answer: object, version: int | None = None
) -> PeriodReview:
    """The seller's lead answers or coaches (``review`` comes from
    :func:`selectors.reviews_answerable_by`); the seller is notified. Answering again replaces
    the answer."""
    review = PeriodReview.objects.select_for_update().get(pk=review.pk)
    if version is not None and version != review.version:
        raise StaleVersion(_("This review was changed since you opened it. Reload and try again."))
    if review.status == ReviewStatus.REQUESTED:
        raise DomainError(
            _("The seller has not written this review yet."),
            code="review_not_submitted",
            field="answer",
        )
    text = _text(answer, "answer")
    if not text:
        raise DomainError(_("Write an answer."), code="answer_required", field="answer")
    before = {"answer": review.answer}
    review.answer, review.answered_by, review.answered_at = text, actor, timezone.now()
    review.status = ReviewStatus.ANSWERED
    review.version += 1
    review.save()
    seller = Membership.objects.select_related("user", "workspace").get(pk=review.seller_id)
    record(
        workspace=review.workspace,
        actor=actor,
        action="review.answered",
        obj=review,
        object_repr=f"{seller.name} Q{review.quarter} FY{review.fiscal_year}",
        before=before,
        after={"answer": text},
    )
    _notify(review, seller, "review_answered", actor=actor.name, reason=text)
    return review
