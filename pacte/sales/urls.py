from django.urls import path

from pacte.sales import views

app_name = "sales"
urlpatterns = [
    path("", views.sales, name="list"),
    path("channels/", views.channels, name="channels"),
    path("channels/<uuid:uuid>/", views.channel_edit, name="channel_edit"),
    path("imports/", views.imports, name="imports"),
    path("imports/<uuid:uuid>/mapping/", views.import_map, name="import_map"),
    path("imports/<uuid:uuid>/", views.import_job, name="import_job"),
    path("imports/<uuid:uuid>/cancel/", views.import_cancel, name="import_cancel"),
    path("imports/<uuid:uuid>/errors.csv", views.import_errors, name="import_errors"),
    path("rates/", views.rates, name="rates"),
    path("rules/", views.rules, name="rules"),
    path("rules/<uuid:uuid>/", views.rule_edit, name="rule_edit"),
    path("rules/<uuid:uuid>/delete/", views.rule_delete, name="rule_delete"),
]
