from django.urls import path

from pacte.partners import views

app_name = "partners"
urlpatterns = [
    path("", views.partners, name="list"),
    path("new/", views.partner_create, name="create"),
    path("figures/", views.figures, name="figures"),
    path("<uuid:uuid>/", views.partner_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.partner_edit, name="edit"),
    path("<uuid:uuid>/people/", views.person_add, name="person_add"),
]
