from django.urls import path

from pacte.sources import views

app_name = "sources"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/edit/", views.edit, name="edit"),
    path("<uuid:uuid>/mapping/", views.mapping, name="mapping"),
    path("<uuid:uuid>/delete/", views.delete, name="delete"),
    path("<uuid:uuid>/sync/", views.sync_now, name="sync"),
    path("<uuid:uuid>/test/", views.check, name="test"),
    path("<uuid:uuid>/webhook-secret/", views.rotate_secret, name="rotate_secret"),
    path("<uuid:uuid>/runs/<uuid:run>/", views.run_detail, name="run"),
    path("hooks/<uuid:uuid>/", views.webhook, name="webhook"),
]
