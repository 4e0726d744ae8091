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
    path("people/<uuid:uuid>/deputies/", views.deputy_add, name="deputy_add"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<uuid:uuid>/", views.team, name="team"),
    path("teams/<uuid:uuid>/edit/", views.team_edit, name="team_edit"),
    path("teams/<uuid:uuid>/active/", views.team_deactivate, name="team_active"),
    path("teams/<uuid:uuid>/delete/", views.team_delete, name="team_delete"),
    path("org/chart/", views.chart, name="chart"),
    path("org/structure/", views.structure_page, name="structure"),
    path("org/structure/settings/", views.shape_settings, name="shape_settings"),
    path("org/delegation/", views.delegation, name="delegation"),
    path("org/deputies/<uuid:uuid>/remove/", views.deputy_remove, name="deputy_remove"),
    path("org/proposals/", views.proposals_page, name="proposals"),
    path("org/proposals/compare/", views.proposal_compare, name="proposal_compare"),
    path("org/proposals/<uuid:uuid>/", views.proposal, name="proposal"),
]
