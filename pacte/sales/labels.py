"""Translated labels of this app: audit actions, import fields."""

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

#: The fields of an import (``pacte.sales.ingest.context.FIELDS``), as the mapping page names them.
FIELD_LABELS = {
    "external_id": _("Sale id"),
    "date": _("Date"),
    "amount": _("Amount"),
    "channel": _("Channel"),
    "seller": _("Seller (e-mail)"),
    "split": _("Split credits (a@x:60;b@y:40)"),
    "overlay": _("Overlay credits"),
    "currency": _("Currency"),
    "customer": _("Customer or account"),
    "territory": _("Territory"),
    "solution": _("Solution"),
    "partner": _("Partner (code)"),
}
