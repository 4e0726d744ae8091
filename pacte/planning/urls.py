from django.urls import path

app_name = "planning"
urlpatterns: list[path] = []  # type: ignore[valid-type]
