from django.urls import path

app_name = "objectives"
urlpatterns: list[path] = []  # type: ignore[valid-type]
