from django.urls import path

from pacte.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("me/", views.mine, name="mine"),
    path("teams/<uuid>/", views.team, name="team"),
    path("sellers/<uuid>/", views.seller, name="seller"),
    path("sellers/<uuid>/what-if/", views.what_if, name="what_if"),
    path("sellers/<uuid>/judgment/", views.judgment, name="judgment"),
    path("preferences/", views.preferences, name="preferences"),
    path("close/", views.close, name="close"),
    path("export/", views.export, name="export"),
    path("report/", views.report, name="report"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
]
