"""Translated labels of audit actions (the stored action is a stable code).

Each app lists its own actions in ``pacte/<app>/labels.py`` (``ACTION_LABELS``).
"""

from functools import cache
from importlib import import_module

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "workspace.created": _("Workspace created"),
    "workspace.updated": _("Workspace settings changed"),
    "workspace.demo_loaded": _("Demo company loaded"),
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

_APPS = ("org", "sales", "planning", "objectives", "pipeline", "insights", "jobs")


@cache
def all_action_labels() -> dict[str, object]:
    labels: dict[str, object] = dict(ACTION_LABELS)
    for app in _APPS:
        try:
            labels.update(import_module(f"pacte.{app}.labels").ACTION_LABELS)
        except ModuleNotFoundError:
            continue
    return labels


def action_label(action: str) -> str:
    return str(all_action_labels().get(action, action))
