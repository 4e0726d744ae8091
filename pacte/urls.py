from django.urls import include, path

from pacte import views
from pacte.accounts import views as account_views
from pacte.api import api
from pacte.jobs import metrics as job_metrics

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("metrics", job_metrics.metrics, name="metrics"),
    path("settings/schedules/", include("pacte.jobs.urls")),
    path("settings/webhooks/", include("pacte.webhooks.urls")),
    path("jobs/", include("pacte.jobs.work_urls")),
    path("favicon.ico", views.favicon, name="favicon"),
    path("account/", include("pacte.accounts.urls")),
    path("sso/", include("pacte.accounts.sso_urls")),
    path("scim/v2/", include("pacte.accounts.scim_urls")),
    path("audit/", include("pacte.audit.urls")),
    path("", include("pacte.org.urls")),
    path("sales/", include("pacte.sales.urls")),
    path("targets/", include("pacte.planning.urls")),
    path("objectives/", include("pacte.objectives.urls")),
    path("insights/", include("pacte.insights.urls")),
    path("sources/", include("pacte.sources.urls")),
    path("api/v1/", api.urls),
]

handler404 = "pacte.views.page_not_found"
handler403 = "pacte.views.permission_denied"
