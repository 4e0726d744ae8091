from django.urls import path

from pacte.planning import moves_views, split_views, views

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
    path("runs/<uuid:uuid>/delegation/", split_views.delegation_page, name="delegation"),
    path(
        "runs/<uuid:uuid>/delegation/accept/",
        split_views.delegation_accept,
        name="delegation_accept",
    ),
    path("splits/", split_views.split_list, name="splits"),
    path("splits/<uuid:uuid>/", split_views.split_page, name="split"),
    path("splits/<uuid:uuid>/preview/", split_views.split_preview, name="split_preview"),
    path("splits/<uuid:uuid>/lock/", split_views.split_lock, name="split_lock"),
    path("moves/", moves_views.index, name="moves"),
    path("moves/policy/", moves_views.policy, name="move_policy"),
    path("moves/assign/", moves_views.assign, name="move_assign"),
]
