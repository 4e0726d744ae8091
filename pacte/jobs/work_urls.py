from django.urls import path

from pacte.jobs import views

app_name = "work"

urlpatterns = [
    path("", views.jobs, name="list"),
    path("<str:uuid>/", views.job, name="job"),
]
