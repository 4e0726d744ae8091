"""Translated labels of this app's audit actions."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "objective.saved": _("Objective draft saved"),
    "objective.proposed": _("Objective proposed"),
    "objective.auto_agreed": _("Objective agreed automatically"),
    "objective.agreed": _("Objective agreed"),
    "objective.returned": _("Objective returned"),
    "objective.countered": _("Objective counter-proposed"),
    "objective.accepted": _("Counter-proposal accepted"),
    "delegation_policy.updated": _("Delegation policy changed"),
    "objective_window.set": _("Objective-setting window set"),
    "gap_rule.applied": _("Gap rule applied"),
    "key_result.created": _("Key result added"),
    "key_result.deleted": _("Key result removed"),
    "initiative.created": _("Initiative added"),
    "initiative.updated": _("Initiative updated"),
    "check_in.recorded": _("Check-in recorded"),
    "check_in.seen": _("Check-in seen by the lead"),
    "check_in.replied": _("Check-in answered by the lead"),
    "review.requested": _("Period review requested"),
    "review.submitted": _("Period review written"),
    "review.answered": _("Period review answered"),
    "review_reasons.set": _("Review reasons changed"),
}
