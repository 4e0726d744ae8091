from django.urls import path

from pacte.pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("team/", views.team, name="team"),
    path("team/call/", views.team_adjust, name="team_adjust"),
    path("company/", views.company, name="company"),
    path("deals/", views.deals, name="deals"),
    path("deals/import/", views.deal_import, name="deal_import"),
    path("deals/<uuid:uuid>/", views.deal_update, name="deal_update"),
]
