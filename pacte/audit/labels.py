"""Translated labels of audit actions (the stored action is a stable code)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "workspace.created": _("Workspace created"),
    "workspace.updated": _("Workspace settings changed"),
    "member.created": _("Person added"),
    "member.updated": _("Person edited"),
    "member.moved": _("Person moved to another team"),
    "member.deactivated": _("Person deactivated"),
    "member.reactivated": _("Person reactivated"),
    "unit.created": _("Team created"),
    "unit.updated": _("Team edited"),
    "unit.moved": _("Team moved"),
    "unit.deactivated": _("Team deactivated"),
    "unit.reactivated": _("Team reactivated"),
    "unit.deleted": _("Team deleted"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
}

OBJECT_LABELS = {
    "workspace": _("Workspace"),
    "membership": _("Person"),
    "unit": _("Team"),
    "apitoken": _("API token"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
