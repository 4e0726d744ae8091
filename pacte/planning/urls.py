from django.urls import path

from pacte.planning import moves_views, views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("target/", views.target_set, name="target_set"),
    path("cascade/", views.editor, name="editor"),
    path("cascade/preview/", views.preview, name="preview"),
    path("potential/", views.potential_import, name="potential_import"),
    path("compare/", views.compare, name="compare"),
    path("runs/<uuid:uuid>/", views.run, name="run"),
    path("runs/<uuid:uuid>/publish/", views.publish, name="publish"),
    path("runs/<uuid:uuid>/rerun/", views.rerun, name="rerun"),
    path("sellers/<uuid:uuid>/", views.seller, name="seller"),
    path("moves/", moves_views.index, name="moves"),
    path("moves/policy/", moves_views.policy, name="move_policy"),
    path("moves/assign/", moves_views.assign, name="move_assign"),
]
