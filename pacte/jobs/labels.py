"""Translated labels of this app: audit actions, run outcomes."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, object] = {
    "schedule.updated": _("Schedule changed"),
}

#: Why a run did nothing, or why it failed (``ScheduleRun.message_code``).
OUTCOME_LABELS = {
    "no_window": _("No objective-setting window was open that day."),
    "failed": _("Stopped on an unexpected error; see the worker's log."),
    "retries_exhausted": _("The database kept failing after several attempts."),
    "worker_lost": _("The process running it stopped several times."),
}


def outcome_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code))
