from django.urls import path

from pacte.org import views

app_name = "org"
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/import/", views.people_import, name="people_import"),
    path("people/<uuid:uuid>/", views.person, name="person"),
    path("people/<uuid:uuid>/edit/", views.person_edit, name="person_edit"),
    path("people/<uuid:uuid>/move/", views.person_move, name="person_move"),
    path("people/<uuid:uuid>/active/", views.person_active, name="person_active"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<uuid:uuid>/", views.team, name="team"),
    path("teams/<uuid:uuid>/edit/", views.team_edit, name="team_edit"),
    path("teams/<uuid:uuid>/active/", views.team_deactivate, name="team_active"),
    path("teams/<uuid:uuid>/delete/", views.team_delete, name="team_delete"),
]
