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
    "connection": _("Data source"),
}


@cache
def all_action_labels() -> dict[str, object]:
    """This module's labels and those of every installed Pacte app with a ``labels`` module."""
    from django.apps import apps

    labels: dict[str, object] = dict(ACTION_LABELS)
    for config in apps.get_app_configs():
        if not config.name.startswith("pacte.") or config.name == "pacte.audit":
            continue
        try:
            module = import_module(f"{config.name}.labels")
        except ModuleNotFoundError:
            continue
        labels.update(getattr(module, "ACTION_LABELS", {}))
    return labels


def action_label(action: str) -> str:
    return str(all_action_labels().get(action, action))
