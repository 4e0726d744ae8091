from django.urls import path

app_name = "insights"
urlpatterns: list[path] = []  # type: ignore[valid-type]
