"""Translated labels of the organisation's audit actions (added to pacte.audit.labels)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "org_settings.updated": _("Target shape changed"),
    "deputy.added": _("Deputy named"),
    "deputy.removed": _("Deputy removed"),
    "proposal.saved": _("Delayering proposal saved"),
    "proposal.edited": _("Delayering proposal edited"),
    "proposal.applied": _("Delayering proposal applied"),
    "proposal.discarded": _("Delayering proposal discarded"),
}
