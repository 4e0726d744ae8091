"""The webhooks pages: the list with an add form, one webhook with its delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.webhooks import selectors, services
from pacte.webhooks.delivery import summary
from pacte.webhooks.events import KINDS
from pacte.webhooks.forms import SubscriptionForm
from pacte.webhooks.models import Subscription

#: The new secret is shown once, on the page the admin lands on after making it.
SECRET_KEY = "webhook_secret"


def _form_errors(form: SubscriptionForm, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def subscriptions(request: MemberRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub, secret = services.create_subscription(
                actor=request.member,
                name=data["name"],
                url=data["url"],
                format=data["format"],
                events=data["events"],
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            request.session[SECRET_KEY] = secret
            messages.success(request, _("Webhook added."))
            return redirect("webhooks:detail", sub.uuid)
    rows = selectors.subscriptions_of(request.member.workspace)
    return render(
        request,
        "webhooks/list.html",
        {"form": form, "rows": rows, "kinds": {c: k.label for c, k in KINDS.items()}},
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def detail(request: MemberRequest, uuid: str) -> HttpResponse:
    workspace = request.member.workspace
    sub = get_scoped(selectors.subscriptions_of(workspace), uuid)
    initial = {
        "name": sub.name,
        "format": sub.format,
        "events": sub.events,
        "version": sub.version,
    }
    form = SubscriptionForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_subscription(
                sub=sub,
                actor=request.member,
                version=data["version"],
                name=data["name"],
                url=data["url"] or None,
                format=data["format"],
                events=data["events"],
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("webhooks:detail", sub.uuid)
    page = Paginator(selectors.deliveries_of(sub), 50).get_page(request.GET.get("page"))
    language = get_language()
    log = [
        {
            "delivery": d,
            "label": KINDS[d.event.code].label if d.event.code in KINDS else d.event.code,
            "summary": summary(d.event.code, d.event.data, workspace.currency, language),
        }
        for d in page.object_list
    ]
    return render(
        request,
        "webhooks/detail.html",
        {
            "sub": sub,
            "form": form,
            "page": page,
            "log": log,
            "secret": request.session.pop(SECRET_KEY, None),
            "events": [KINDS[c].label for c in sub.events if c in KINDS],
        },
    )


def _act(request: MemberRequest, uuid: str) -> Subscription:
    return get_scoped(selectors.subscriptions_of(request.member.workspace), uuid)


@require_POST
@member_required(*ADMIN_ROLES)
def action(request: MemberRequest, uuid: str, what: str) -> HttpResponse:
    """test, rotate, enable, disable, delete."""
    sub = _act(request, uuid)
    try:
        if what == "test":
            services.send_test(sub=sub, actor=request.member)
            messages.success(request, _("A test event is on its way: see the log below."))
        elif what == "rotate":
            request.session[SECRET_KEY] = services.rotate_secret(sub=sub, actor=request.member)
            messages.success(request, _("A new signing secret was made; the old one stops now."))
        elif what in ("enable", "disable"):
            services.update_subscription(
                sub=sub,
                actor=request.member,
                version=int(request.POST.get("version") or 0),
                is_active=what == "enable",
            )
            messages.success(
                request,
                _("The webhook is on.") if what == "enable" else _("The webhook is off."),
            )
        elif what == "delete":
            services.delete_subscription(sub=sub, actor=request.member)
            messages.success(request, _("Webhook deleted."))
            return redirect("webhooks:list")
        else:
            return redirect("webhooks:detail", sub.uuid)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("webhooks:detail", sub.uuid)


@require_POST
@member_required(*ADMIN_ROLES)
def retry(request: MemberRequest, uuid: str, delivery: str) -> HttpResponse:
    sub = _act(request, uuid)
    found = get_scoped(selectors.deliveries_of(sub), delivery)
    try:
        services.retry_delivery(delivery=found, actor=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delivery is sent again."))
    return redirect("webhooks:detail", sub.uuid)
