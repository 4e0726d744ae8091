"""Every table that belongs to a workspace is read through the one scoping queryset."""

from __future__ import annotations

from django.apps import apps

from pacte.accounts.models import Workspace, WorkspaceModel


def test_every_workspace_table_inherits_workspace_model() -> None:
    strays = [
        f"{model._meta.app_label}.{model.__name__}"
        for model in apps.get_models()
        if model.__module__.startswith("pacte.")
        and any(
            field.name == "workspace" and getattr(field, "related_model", None) is Workspace
            for field in model._meta.get_fields()
        )
        and not issubclass(model, WorkspaceModel)
    ]
    assert strays == [], f"inherit WorkspaceModel (for_workspace, visible_to): {strays}"
