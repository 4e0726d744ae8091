"""Translated labels of this app's audit actions."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "channel.created": _("Channel added"),
    "channel.updated": _("Channel edited"),
    "sale.updated": _("Sale changed by an import"),
    "sale.deleted": _("Sale deleted"),
    "creditrule.created": _("Crediting rule added"),
    "creditrule.updated": _("Crediting rule changed"),
    "creditrule.deleted": _("Crediting rule deleted"),
    "sample.loaded": _("Sample company loaded"),
}
