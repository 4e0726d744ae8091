from django.urls import path

from pacte.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscriptions, name="list"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path(
        "<uuid:uuid>/<str:what>/",
        views.action,
        name="action",
    ),
    path("<uuid:uuid>/deliveries/<uuid:delivery>/retry/", views.retry, name="retry"),
]
