"""Translated labels of this app's audit actions."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

ACTION_LABELS: dict[str, object] = {}
