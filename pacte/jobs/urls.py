from django.urls import path

from pacte.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.schedules, name="schedules"),
]
