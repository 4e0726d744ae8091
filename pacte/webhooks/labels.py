from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "webhook.created": _("Webhook added"),
    "webhook.updated": _("Webhook changed"),
    "webhook.deleted": _("Webhook deleted"),
    "webhook.secret_rotated": _("Webhook signing secret replaced"),
    "webhook.enabled": _("Webhook turned on"),
    "webhook.disabled": _("Webhook turned off after repeated failures"),
}
