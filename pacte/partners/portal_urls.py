"""The partner's own pages, for its people (the only pages they may open, with their login's)."""

from django.urls import path

from pacte.partners import views

app_name = "partner"
urlpatterns = [
    path("", views.home, name="home"),
    path("commitment/", views.propose, name="propose"),
    path("check-in/", views.check_in, name="check_in"),
    path("key-results/", views.key_result_add, name="key_result_add"),
    path("key-results/<uuid:uuid>/delete/", views.key_result_delete, name="key_result_delete"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("reviews/<uuid:uuid>/", views.review, name="review"),
]
