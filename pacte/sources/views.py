"""Data source pages: the list, the form (new and edit), the status page (sync now, dry run,
test, webhook), a run's progress (htmx poll), and the inbound webhook endpoint."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, parse_uuid
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.links import absolute
from pacte.sales.labels import FIELD_LABELS
from pacte.sources import selectors, services
from pacte.sources.connectors.base import CONNECTORS, ConnectorError, kind_choices
from pacte.sources.credentials import secret_names_set
from pacte.sources.forms import MAP_PREFIX, NEW_PROFILE, ConnectionForm, MappingForm, SyncForm
from pacte.sources.labels import ERROR_LABELS
from pacte.sources.models import Connection, SyncRun, SyncStatus
from pacte.sources.sync import PREVIEW_FIELDS, Sample, effective_mapping, mapped_preview, sample


def _form_error(form: ConnectionForm, exc: DomainError) -> None:
    for prefix in ("", "config_", "secret_"):
        if exc.field and prefix + exc.field in form.fields:
            form.add_error(prefix + exc.field, exc.message)
            return
    form.add_error(None, exc.message)


@require_GET
@member_required(*ADMIN_ROLES)
def index(request: MemberRequest) -> HttpResponse:
    rows = selectors.connection_rows(request.member)
    labels = dict(SyncStatus.choices)
    for row in rows:
        row.status_label = labels.get(row.last_status or "", "")  # type: ignore[attr-defined]
    return render(request, "sources/index.html", {"rows": rows, "kinds": kind_choices()})


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def create(request: MemberRequest) -> HttpResponse:
    kind = request.GET.get("kind") or "https"
    if kind not in CONNECTORS:
        raise Http404
    form = ConnectionForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            connection, secret = services.create_connection(
                workspace=request.member.workspace,
                actor=request.member,
                kind=kind,
                **form.service_arguments(),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session[f"hook-secret-{connection.uuid}"] = secret
            messages.success(
                request,
                _("Data source “%(name)s” was added: check how its fields map.")
                % {"name": connection.name},
            )
            return redirect("sources:mapping", connection.uuid)
    label = dict(kind_choices())[kind]
    return render(
        request, "sources/form.html", {"form": form, "kind_label": label, "connection": None}
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def edit(request: MemberRequest, uuid: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    form = ConnectionForm(request.POST or None, kind=connection.kind, connection=connection)
    status = 200
    if request.method == "POST" and form.is_valid():
        args = form.service_arguments()
        secrets = args.pop("secrets")
        try:
            services.update_connection(
                connection=connection,
                actor=request.member,
                version=form.cleaned_data.get("version"),
                secrets=secrets,
                **args,
            )
        except DomainError as exc:
            _form_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("The data source was saved."))
            return redirect("sources:detail", connection.uuid)
    label = dict(kind_choices()).get(connection.kind, connection.kind)
    return render(
        request,
        "sources/form.html",
        {"form": form, "kind_label": label, "connection": connection},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def mapping(request: MemberRequest, uuid: str) -> HttpResponse:
    """Which mapping profile the source reads with: its first records read (one page), the
    file import's guess when it has no profile yet, the first rows previewed with the mapping
    shown; "Preview" shows another mapping's rows, "Save" keeps it."""
    connection = selectors.get_connection_for(request.member, uuid)
    profiles = list(selectors.profiles_for(request.member))
    read_error = ""
    try:
        got = sample(connection)
    except ConnectorError as exc:
        got = Sample(fields=[], guess={}, head=pl.DataFrame())
        read_error = exc.message
    chosen = connection.profile
    asked = request.GET.get("profile")
    if asked:
        chosen = selectors.get_profile_for(request.member, asked)
    if chosen is not None:
        current = effective_mapping(connection, set(got.fields), chosen.mapping)
    else:
        current = got.guess
    form = MappingForm(
        request.POST or None,
        profiles=[(str(p.uuid), p.name) for p in profiles],
        remote=got.fields,
        initial={
            "profile": str(chosen.uuid) if chosen else NEW_PROFILE,
            "name": "" if chosen else connection.name,
            "date_order": chosen.date_order if chosen else "auto",
            "amount_style": chosen.amount_style if chosen else "auto",
            **{MAP_PREFIX + k: v for k, v in current.items()},
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        current = form.mapping()
        picked = form.cleaned_data["profile"]
        if request.POST.get("action") != "preview":
            try:
                services.save_mapping(
                    connection=connection,
                    actor=request.member,
                    mapping=current,
                    date_order=form.cleaned_data["date_order"],
                    amount_style=form.cleaned_data["amount_style"],
                    profile=selectors.get_profile_for(request.member, picked) if picked else None,
                    new_name=form.cleaned_data["name"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The fields' mapping was saved."))
                return redirect("sources:detail", connection.uuid)
    preview: list[dict[str, Any]] = []
    preview_error = ""
    if got.head.height:
        try:
            preview = mapped_preview(connection, got.head, current)
        except ConnectorError as exc:
            preview_error = exc.message
    return render(
        request,
        "sources/mapping.html",
        {
            "connection": connection,
            "form": form,
            "read_error": read_error,
            "guessed": chosen is None and bool(got.guess),
            "columns": [(f, FIELD_LABELS[f]) for f in PREVIEW_FIELDS],
            "preview": [[row[f] for f in PREVIEW_FIELDS] for row in preview],
            "preview_error": preview_error,
        },
        status=status,
    )


@require_POST
@member_required(*ADMIN_ROLES)
def delete(request: MemberRequest, uuid: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    version = request.POST.get("version")
    try:
        services.delete_connection(
            connection=connection,
            actor=request.member,
            version=int(version) if version and version.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("sources:detail", connection.uuid)
    messages.success(request, _("Data source “%(name)s” was deleted.") % {"name": connection.name})
    return redirect("sources:index")


def _detail_context(request: MemberRequest, connection: Connection) -> dict[str, Any]:
    status = selectors.status_of(connection)
    for run in status.runs:
        run.code_label = ERROR_LABELS.get(run.message_code, "")  # type: ignore[attr-defined]
    return {
        "connection": connection,
        "status": status,
        "kind_label": dict(kind_choices()).get(connection.kind, connection.kind),
        "secrets_set": secret_names_set(connection),
        "hook_url": absolute(reverse("sources:webhook", args=[connection.uuid])),
        "hook_secret": request.session.pop(f"hook-secret-{connection.uuid}", None),
    }


@require_GET
@member_required(*ADMIN_ROLES)
def detail(request: MemberRequest, uuid: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    context = _detail_context(request, connection)
    template = "sources/detail.html#status" if request.htmx else "sources/detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required(*ADMIN_ROLES)
def sync_now(request: MemberRequest, uuid: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    form = SyncForm(request.POST)
    mode = form.cleaned_data["mode"] if form.is_valid() else "incremental"
    try:
        run = services.start_sync(connection=connection, actor=request.member, mode=mode)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("sources:detail", connection.uuid)
    return redirect("sources:run", connection.uuid, run.uuid)


@require_GET
@member_required(*ADMIN_ROLES)
def run_detail(request: MemberRequest, uuid: str, run: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    sync_run = selectors.get_run_for(request.member, connection, run)
    context = {"connection": connection, "run": sync_run}
    template = "sources/run.html#progress" if request.htmx else "sources/run.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required(*ADMIN_ROLES)
def check(request: MemberRequest, uuid: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    error = services.check_connection(connection=connection, http=None)
    if error is None:
        messages.success(request, _("The connection works: credentials and fields are fine."))
    else:
        messages.error(
            request, _("The connection failed: %(message)s") % {"message": error.message}
        )
    return redirect("sources:detail", connection.uuid)


@require_POST
@member_required(*ADMIN_ROLES)
def rotate_secret(request: MemberRequest, uuid: str) -> HttpResponse:
    connection = selectors.get_connection_for(request.member, uuid)
    secret = services.rotate_webhook_secret(connection=connection, actor=request.member)
    request.session[f"hook-secret-{connection.uuid}"] = secret
    messages.success(request, _("A new webhook secret was made; the old one no longer works."))
    return redirect("sources:detail", connection.uuid)


@csrf_exempt
@require_POST
def webhook(request: Any, uuid: str) -> JsonResponse:
    """A remote system pushes records. Not a member's request: the connection's uuid and the
    signature made with its secret are the credential, so the lookup is by uuid alone."""
    connection = Connection.objects.filter(uuid=parse_uuid(uuid)).first()
    if connection is None:
        raise Http404
    try:
        run, new = services.receive_webhook(
            connection=connection,
            body=request.body,
            timestamp=request.headers.get("X-Pacte-Timestamp"),
            sent_signature=request.headers.get("X-Pacte-Signature"),
            event_id=request.headers.get("X-Pacte-Event-Id"),
        )
    except services.WebhookRefused as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    if not new:
        return JsonResponse(
            {"code": "duplicate", "message": _("This event was already received.")}, status=200
        )
    assert isinstance(run, SyncRun)
    return JsonResponse({"code": "queued", "run": str(run.uuid)}, status=202)
