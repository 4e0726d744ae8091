"""Translated labels of this app: audit actions."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "partner.created": _("Partner added"),
    "partner.updated": _("Partner changed"),
    "partner.person_added": _("Person added to a partner"),
    "partner.proposed": _("Partner's commitment proposed"),
    "partner.checked_in": _("Partner's check-in"),
}
