"""Import people from a CSV file (e-mail, name, unit, lead of, roles): all or nothing.

The same rules as the pages apply; every bad line is reported with its number; a re-import of
the same file changes nothing. Reads and writes are set-based: one query per table, never one
per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import ROLE_FIELDS, Membership, Role, User, Workspace
from pacte.audit.services import record_many
from pacte.errors import DomainError
from pacte.org.models import Placement, Unit
from pacte.uploads import FileTooLarge

COLUMNS = ("email", "name", "unit", "lead_of", "roles")
MAX_BYTES = 10 * 1024 * 1024


@dataclass
class PeopleImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    email: str
    name: str
    unit: Unit
    lead_of: Unit | None
    roles: set[str]


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the usual spreadsheet exports."""
    if not data.strip():
        raise DomainError(_("The file is empty."), code="empty_file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("The file is neither UTF-8 nor Windows-1252 text."), code="bad_encoding")


def csv_rows(data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The header of a small CSV file (decoded, its delimiter guessed) and a reader of its
    other lines; a header wider than ``PACTE_MAX_IMPORT_COLUMNS`` is refused."""
    text = decode(data)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    limit = settings.PACTE_MAX_IMPORT_COLUMNS
    if len(header) > limit:
        raise DomainError(
            _("Line 1 (header): the file has more than %(max)s columns.")
            % {"max": formats.number_format(limit)},
            code="too_many_columns",
        )
    return header, reader


def _split_roles(raw: str) -> list[str]:
    for sep in ";|,+":
        raw = raw.replace(sep, " ")
    return [part for part in raw.lower().split() if part]


def parse(workspace: Workspace, data: bytes) -> tuple[list[_Row], list[tuple[int, str]]]:
    names, reader = csv_rows(data)
    header = [h.strip().lower().replace(" ", "_") for h in names]
    missing = [c for c in COLUMNS if c not in header]
    extra = [h for h in header if h and h not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(_("missing column(s): %(cols)s") % {"cols": ", ".join(missing)})
        if extra:
            parts.append(_("unexpected column(s): %(cols)s") % {"cols": ", ".join(extra)})
        raise DomainError(
            _("Line 1 (header): %(problems)s. Expected: %(expected)s.")
            % {"problems": "; ".join(parts), "expected": ",".join(COLUMNS)},
            code="bad_header",
        )
    index = {name: header.index(name) for name in COLUMNS}
    units = {u.name.casefold(): u for u in Unit.objects.for_workspace(workspace).active()}
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    lead_claims: dict[int, int] = {}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                (
                    line,
                    _("expected %(n)s fields, found %(m)s.") % {"n": len(header), "m": len(values)},
                )
            )
            continue
        cell = {name: values[i].strip() for name, i in index.items()}
        problems: list[str] = []
        email = cell["email"].lower()
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("“%(email)s” is not a valid e-mail address.") % {"email": email})
        if email in seen:
            problems.append(
                _("%(email)s already appears on line %(line)s.")
                % {"email": email, "line": seen[email]}
            )
        seen.setdefault(email, line)
        if not cell["name"]:
            problems.append(_("the name is empty."))
        unit = units.get(cell["unit"].casefold())
        if unit is None:
            problems.append(_("unknown team “%(team)s”.") % {"team": cell["unit"]})
        lead_of = None
        if cell["lead_of"]:
            lead_of = units.get(cell["lead_of"].casefold())
            if lead_of is None:
                problems.append(
                    _("unknown team “%(team)s” in lead_of.") % {"team": cell["lead_of"]}
                )
            elif lead_of.pk in lead_claims:
                problems.append(
                    _("“%(team)s” already gets a lead on line %(line)s; a team has one lead.")
                    % {"team": lead_of, "line": lead_claims[lead_of.pk]}
                )
            else:
                lead_claims[lead_of.pk] = line
        roles = set(_split_roles(cell["roles"]))
        unknown = roles - set(ROLE_FIELDS)
        if unknown:
            problems.append(
                _("unknown role(s) %(roles)s (use executive, lead, seller, admin).")
                % {"roles": ", ".join(sorted(unknown))}
            )
        if not roles:
            problems.append(_("no role given."))
        if lead_of is not None:
            roles.add(Role.LEAD)
        if problems:
            errors.append((line, " ".join(p[:1].upper() + p[1:] for p in problems)))
        elif unit is not None:
            rows.append(_Row(line, email, cell["name"], unit, lead_of, roles))
    if not rows and not errors:
        raise DomainError(_("The file has a header but no people."), code="empty_file")
    return rows, errors


def _check_leads(workspace: Workspace, rows: list[_Row], errors: list[tuple[int, str]]) -> None:
    """A team keeps one lead: a lead_of naming a team led by someone else is refused."""
    leads = dict(
        Unit.objects.for_workspace(workspace)
        .filter(lead__isnull=False)
        .values_list("pk", "lead__user__email")
    )
    led_by_email = {email: pk for pk, email in leads.items()}
    for row in rows:
        if row.lead_of is not None:
            holder = leads.get(row.lead_of.pk)
            if holder is not None and holder != row.email:
                errors.append(
                    (
                        row.line,
                        _("“%(team)s” already has a lead (%(email)s); a team has one lead.")
                        % {"team": row.lead_of, "email": holder},
                    )
                )
            other = led_by_email.get(row.email)
            if other is not None and other != row.lead_of.pk:
                errors.append(
                    (
                        row.line,
                        _("%(email)s already leads another team; a person leads one team at most.")
                        % {"email": row.email},
                    )
                )


def import_people(
    *, workspace: Workspace, actor: Membership | None, data: bytes
) -> PeopleImportResult:
    """Validate the whole file, then apply it in one transaction, or apply nothing."""
    if len(data) > MAX_BYTES:
        raise FileTooLarge(MAX_BYTES)
    rows, errors = parse(workspace, data)
    _check_leads(workspace, rows, errors)
    result = PeopleImportResult(errors=sorted(errors))
    if errors:
        return result
    today = timezone.localdate()
    with transaction.atomic():
        emails = [row.email for row in rows]
        users = {u.email: u for u in User.objects.filter(email__in=emails)}
        known_logins = {u.pk for u in users.values()}
        new_users = [
            User(email=row.email, name=row.name, password=make_password(None))
            for row in rows
            if row.email not in users
        ]
        User.objects.bulk_create(new_users)
        users.update(
            {u.email: u for u in User.objects.filter(email__in=[u.email for u in new_users])}
        )
        members = {
            m.user.email: m
            for m in Membership.objects.for_workspace(workspace)
            .select_related("user")
            .filter(user__email__in=emails)
        }
        placements = {
            p.membership_id: p
            for p in Placement.objects.for_workspace(workspace)
            .filter(valid_to__isnull=True)
            .filter(membership__in=[m.pk for m in members.values()])
        }
        events: list[dict[str, object]] = []
        to_create: list[Membership] = []
        to_update: list[Membership] = []
        to_close: list[Placement] = []
        new_placements: list[tuple[Membership, Unit]] = []
        carried: list[tuple[Membership, int, int]] = []  # (member, old team, new team)
        for row in rows:
            member = members.get(row.email)
            if member is None:
                member = Membership(
                    workspace=workspace, user=users[row.email], name=row.name, joined_on=today
                )
                for role, flag in ROLE_FIELDS.items():
                    setattr(member, flag, role in row.roles)
                to_create.append(member)
                new_placements.append((member, row.unit))
                continue
            before = {"name": member.name, "roles": sorted(member.roles)}
            member.name = row.name
            for role, flag in ROLE_FIELDS.items():
                setattr(member, flag, role in row.roles)
            after = {"name": member.name, "roles": sorted(member.roles)}
            placement = placements.get(member.pk)
            moved = placement is None or placement.unit_id != row.unit.pk
            if before != after or moved:
                member.version += 1
                to_update.append(member)
                if before != after:
                    events.append(
                        {
                            "action": "member.updated",
                            "obj": member,
                            "before": before,
                            "after": after,
                        }
                    )
                if moved:
                    if placement is not None:
                        carried.append((member, placement.unit_id, row.unit.pk))
                    if placement is not None and placement.valid_from < today:
                        placement.valid_to = today
                        to_close.append(placement)
                    elif placement is not None:
                        placement.unit = row.unit
                        to_close.append(placement)
                    if placement is None or placement.valid_to is not None:
                        new_placements.append((member, row.unit))
                    events.append(
                        {
                            "action": "member.moved",
                            "obj": member,
                            "after": {"unit": str(row.unit.uuid)},
                        }
                    )
        Membership.objects.bulk_create(to_create)
        Membership.objects.bulk_update(
            to_update, ["name", "is_executive", "is_lead", "is_seller", "is_admin", "version"]
        )
        Placement.objects.bulk_update(to_close, ["valid_to", "unit"])
        Placement.objects.bulk_create(
            [
                Placement(workspace=workspace, membership=m, unit=u, valid_from=today)
                for m, u in new_placements
            ]
        )
        from pacte.planning import moves as carries

        fresh = {m.pk for m in to_create}
        carries.carry(
            workspace=workspace,
            actor=actor,
            movers=[
                *(
                    carries.Mover(m.pk, None, row_unit.pk, today)
                    for m, row_unit in new_placements
                    if m.pk in fresh
                ),
                *(carries.Mover(m.pk, old, new, today) for m, old, new in carried),
            ],
        )
        events.extend(
            {
                "action": "member.created",
                "obj": m,
                "after": {"name": m.name, "roles": sorted(m.roles)},
            }
            for m in to_create
        )
        by_email = {m.user.email: m for m in [*to_create, *members.values()]}
        changed_units = []
        for row in rows:
            if row.lead_of is not None and row.lead_of.lead_id != by_email[row.email].pk:
                before_lead = row.lead_of.lead_id
                row.lead_of.lead = by_email[row.email]
                row.lead_of.version += 1
                changed_units.append(row.lead_of)
                events.append(
                    {
                        "action": "unit.updated",
                        "obj": row.lead_of,
                        "before": {"lead": before_lead},
                        "after": {"lead": str(by_email[row.email].uuid)},
                    }
                )
        Unit.objects.bulk_update(changed_units, ["lead", "version"])
        record_many({"workspace": workspace, "actor": actor, **e} for e in events)
        from pacte.accounts import invitations

        for new in to_create:  # logins of other workspaces' people join once they accept
            if new.user_id in known_logins and invitations.needs_invitation(new.user, workspace.pk):
                invitations.invite(member=new, actor=actor)
    result.created = len(to_create)
    result.updated = len({m.pk for m in to_update})
    result.unchanged = len(rows) - result.created - result.updated
    return result
