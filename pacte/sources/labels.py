"""Translated labels of this app: audit actions, sync modes and connector error codes."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "source.created": _("Data source added"),
    "source.updated": _("Data source changed"),
    "source.deleted": _("Data source deleted"),
    "source.webhook_secret_rotated": _("Data source webhook secret renewed"),
}

ERROR_LABELS: dict[str, object] = {
    "auth": _("Credentials refused"),
    "rate_limit": _("Rate limited"),
    "quota": _("Quota reached"),
    "schema": _("Remote fields changed"),
    "remote": _("Remote error"),
    "timeout": _("Timed out"),
    "record": _("Record refused"),
    "config": _("Settings incomplete"),
    "has_errors": _("Records refused"),
    "deleted": _("Data source deleted"),
}
