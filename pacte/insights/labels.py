"""Translated labels of this app's audit actions."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "period.closed": _("Month closed"),
    "period.reopened": _("Month reopened"),
    "insights.settings_changed": _("Period close settings changed"),
    "forecast.judgment_saved": _("Own forecast saved"),
}
