from django.urls import path

app_name = "sales"
urlpatterns: list[path] = []  # type: ignore[valid-type]
