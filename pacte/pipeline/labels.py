"""Translated labels of this app's audit actions."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "pipeline.deals_imported": _("Deals imported"),
    "pipeline.deal_changed": _("Deal changed"),
    "pipeline.deals_revalued": _("Open deals converted again at new rates"),
    "pipeline.call_set": _("Forecast call set"),
    "pipeline.team_call_adjusted": _("Team call adjusted"),
    "pipeline.team_call_submitted": _("Team call submitted"),
    "pipeline.stage_rules_set": _("Stage rules changed"),
}
