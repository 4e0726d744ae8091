"""The weekly digest and alerts, per member, in the member's language."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.insights import dashboard, periods
from pacte.insights.models import DigestPreference
from pacte.org.visibility import Tree
from pacte.webhooks.events import emit


def alert_codes(figures: dict[str, Any], forecast: dict[str, Any]) -> list[str]:
    """``reached`` (objective reached for the year) or ``behind`` (year forecast below it)."""
    objective, actual = figures.get("objective"), figures.get("actual", 0)
    if objective and actual >= objective:
        return ["reached"]
    if (
        objective
        and forecast.get("year_forecast") is not None
        and forecast["year_forecast"] < objective
    ):
        return ["behind"]
    return []


def alert_text(code: str) -> str:
    """An alert in the active language."""
    if code == "reached":
        return _("You have reached your objective for the year.")
    return _("Your year forecast is below your objective: you are falling behind.")


def alerts_of(figures: dict[str, Any], forecast: dict[str, Any]) -> list[str]:
    """Objective reached; year forecast below the objective (falling behind)."""
    return [alert_text(code) for code in alert_codes(figures, forecast)]


def emit_alerts(member: Membership, codes: list[str], fiscal_year: object) -> None:
    """Tell the webhooks listening to alerts, once per person and alert: ``reached`` once a
    year, ``behind`` once a month."""
    from django.utils import timezone

    ws = member.workspace
    for code in codes:
        period = fiscal_year if code == "reached" else timezone.localdate().isoformat()[:7]
        with translation.override(ws.language or settings.LANGUAGE_CODE):
            text = alert_text(code)
        emit(
            ws,
            "alert",
            {
                "member": member.name,
                "member_email": member.user.email,
                "alert": code,
                "text": text,
                "url": "/",
            },
            dedup_key=f"alert:{code}:{member.uuid}:{period}",
        )


def digest_for(member: Membership, tree: Tree) -> dict[str, Any]:
    """The digest content: the member's own progress, and their scope for leads/executives."""
    ws = member.workspace
    choice = periods.resolve_period(ws, None)
    context: dict[str, Any] = {
        "member": member,
        "workspace": ws,
        "choice": choice,
        "period_label": periods.period_label(choice.key, ws.calendar),
        "alerts": [],
    }
    if member.is_seller:
        own = dashboard.cockpit(member, member, choice)
        year = own["summary"][3]
        context["own"] = own["summary"]
        context["own_forecast"] = own["forecast"]
        context["alert_codes"] = alert_codes(year, own["forecast"])
        context["alerts"] = [alert_text(code) for code in context["alert_codes"]]
    scopes = []
    if member.sees_everything:
        data = dashboard.unit_view(member, None, choice, tree=tree)
        scopes.append({"name": tree.root.name, "summary": data["summary"], "teams": data["teams"]})
    elif member.is_lead:
        for unit in (u for u in tree.units.values() if u.lead_id == member.pk):
            data = dashboard.unit_view(member, unit.pk, choice, tree=tree)
            scopes.append({"name": unit.name, "summary": data["summary"], "teams": data["teams"]})
    context["scopes"] = scopes
    return context


def send_digests(
    *,
    workspace: Workspace | None = None,
    write: Callable[[str], None] = print,
    dry_run: bool = False,
    skip: Collection[int] = (),
    sent: Callable[[Membership], object] | None = None,
) -> dict[str, int]:
    """Send every active member their digest; skip (with a line) who has no e-mail or opted out.

    ``skip`` are member ids already served (a scheduled run taken up again); ``sent`` is called
    after each e-mail goes out (the run records it)."""
    counts = {"sent": 0, "skipped": 0}
    workspaces = [workspace] if workspace else list(Workspace.objects.all())
    mailer = mailers.default
    for ws in workspaces:
        tree = Tree.load(ws)
        opted_out = set(
            DigestPreference.objects.for_workspace(ws)
            .filter(digest=False)
            .values_list("member_id", flat=True)
        )
        members = (
            Membership.objects.for_workspace(ws)
            .filter(is_active=True)
            .select_related("user", "workspace")
        )
        for member in members.order_by("name"):
            if member.pk in skip:
                continue
            if member.pk in opted_out:
                write(f"skipped {member.name} ({ws.slug}): opted out of the digest")
                counts["skipped"] += 1
                continue
            if not member.user.email:
                write(f"skipped {member.name} ({ws.slug}): no e-mail address")
                counts["skipped"] += 1
                continue
            language = member.user.language or ws.language or settings.LANGUAGE_CODE
            with translation.override(language):
                context = digest_for(member, tree)
                subject = _("Your week in Pacte: %(workspace)s") % {"workspace": ws.name}
                body = render_to_string("insights/digest.txt", context)
            if not dry_run:
                mailer.send_messages([EmailMessage(subject, body, to=[member.user.email])])
                if context.get("alert_codes"):
                    emit_alerts(member, context["alert_codes"], context["choice"].key)
                if sent is not None:
                    sent(member)
            write(f"sent {member.name} <{member.user.email}> ({language})")
            counts["sent"] += 1
    return counts
