from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "pacte.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from pacte.jobs.scheduler import on_tick
        from pacte.webhooks.delivery import sweep

        on_tick(sweep)
