"""The data source form: name, the connector's settings (secret ones write-only), default
channel, schedule, built from the connector's ``config_fields``; and the mapping form: which
mapping profile of the sales import the source reads with, and its fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.sales.forms import AMOUNT_STYLES, DATE_ORDERS
from pacte.sales.ingest.context import FIELDS
from pacte.sales.labels import FIELD_LABELS
from pacte.sources.connectors.base import connector_class
from pacte.sources.models import Connection, Every, SyncMode

CONFIG_PREFIX = "config_"
SECRET_PREFIX = "secret_"
MAP_PREFIX = "map_"


class ConnectionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    default_channel = forms.CharField(
        label=_("Default channel"),
        max_length=100,
        required=False,
        help_text=_("Code or name of the channel of records that name none."),
    )
    every = forms.ChoiceField(label=_("Sync"), choices=Every.choices, initial=Every.DAY)
    hour = forms.IntegerField(
        label=_("Hour (daily and weekly syncs)"), min_value=0, max_value=23, initial=2
    )
    full_every_days = forms.IntegerField(
        label=_("Full reconciliation every (days)"), min_value=1, max_value=90, initial=7
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, kind: str, connection: Connection | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        cls = connector_class(kind)
        stored_secrets: set[str] = set()
        if connection is not None:
            from pacte.sources.credentials import read_secrets

            stored_secrets = set(read_secrets(connection))
        for f in cls.config_fields:
            if f.secret:
                is_set = f.name in stored_secrets
                self.fields[SECRET_PREFIX + f.name] = forms.CharField(
                    label=str(f.label),
                    required=False,
                    widget=forms.PasswordInput(
                        render_value=False,
                        attrs={"placeholder": "••• " + str(_("set")) if is_set else ""},
                    ),
                    help_text=_("Stored encrypted, never shown. Leave empty to keep it.")
                    if is_set
                    else _("Stored encrypted, never shown."),
                )
            elif f.choices:
                self.fields[CONFIG_PREFIX + f.name] = forms.ChoiceField(
                    label=str(f.label),
                    choices=list(f.choices),
                    initial=f.default,
                    required=f.required,
                    help_text=str(f.help_text),
                )
            else:
                self.fields[CONFIG_PREFIX + f.name] = forms.CharField(
                    label=str(f.label),
                    initial=f.default,
                    required=f.required and not f.default,
                    help_text=str(f.help_text),
                    max_length=500,
                )
        if connection is not None:
            self.initial.update(
                {
                    "name": connection.name,
                    "default_channel": connection.default_channel,
                    "every": connection.every,
                    "hour": connection.hour,
                    "full_every_days": connection.full_every_days,
                    "version": connection.version,
                    **{CONFIG_PREFIX + k: v for k, v in connection.config.items()},
                }
            )

    def config_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n.startswith((CONFIG_PREFIX, SECRET_PREFIX))]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "config": {
                n.removeprefix(CONFIG_PREFIX): v
                for n, v in data.items()
                if n.startswith(CONFIG_PREFIX) and v not in (None, "")
            },
            "secrets": {
                n.removeprefix(SECRET_PREFIX): v
                for n, v in data.items()
                if n.startswith(SECRET_PREFIX) and v
            },
            "default_channel": data.get("default_channel") or "",
            "every": data["every"],
            "hour": data["hour"] if data.get("hour") is not None else 2,
            "full_every_days": data.get("full_every_days") or 7,
        }


NEW_PROFILE = ""


class MappingForm(forms.Form):
    """Which mapping profile the source reads with (one of the sales import's, or a new one)
    and, for each field of a sale, the remote field that gives it (among those of the
    source's first records, and any the profile already names)."""

    profile = forms.ChoiceField(label=_("Column mapping"), required=False)
    name = forms.CharField(
        label=_("Name of the new mapping"),
        max_length=100,
        required=False,
        help_text=_("Saved with the file import's mappings; empty: the data source's name."),
    )
    date_order = forms.ChoiceField(label=_("Date order"), choices=DATE_ORDERS, initial="auto")
    amount_style = forms.ChoiceField(
        label=_("Amount format"), choices=AMOUNT_STYLES, initial="auto"
    )

    def __init__(
        self, *args: Any, profiles: list[tuple[str, str]], remote: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        profile_field = self.fields["profile"]
        assert isinstance(profile_field, forms.ChoiceField)
        profile_field.choices = [(NEW_PROFILE, _("A new mapping")), *profiles]
        named = {str(v) for k, v in self.initial.items() if k.startswith(MAP_PREFIX) and v}
        options = [("", _("(none)")), *((f, f) for f in sorted({*remote, *named}))]
        for field in FIELDS:
            self.fields[MAP_PREFIX + field] = forms.ChoiceField(
                label=FIELD_LABELS[field], choices=options, required=False
            )

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n.startswith(MAP_PREFIX)]

    def mapping(self) -> dict[str, str]:
        """Every field of a sale: its remote field, or ``""`` (none, even when a remote field
        has the field's own name)."""
        data = self.cleaned_data
        return {field: data.get(MAP_PREFIX + field) or "" for field in FIELDS}


class SyncForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(m, m) for m in (SyncMode.INCREMENTAL, SyncMode.FULL, SyncMode.DRY_RUN)]
    )
