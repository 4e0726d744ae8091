from django.urls import path

from pacte.objectives import request_views, review_views, views

app_name = "objectives"
urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/", views.inbox, name="inbox"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<uuid:uuid>/read/", views.notification_read, name="notification_read"),
    path("policy/", views.policy, name="policy"),
    path("mine/", views.mine, name="mine"),
    path("mine/phasing/", views.phasing, name="phasing"),
    path("mine/realism/", views.realism_partial, name="realism"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("check-ins/", views.check_ins, name="check_ins"),
    path("check-ins/<uuid:uuid>/answer/", views.check_in_answer, name="check_in_answer"),
    path("reviews/", review_views.review_list, name="reviews"),
    path("reviews/summary/", review_views.review_summary, name="review_summary"),
    path("reviews/summary/export/", review_views.review_export, name="review_export"),
    path("reviews/reasons/", review_views.review_reasons, name="review_reasons"),
    path("reviews/<uuid:uuid>/", review_views.review_detail, name="review"),
    path("requests/", request_views.request_list, name="requests"),
    path("requests/new/", request_views.request_new, name="request_new"),
    path("requests/<uuid:uuid>/", request_views.request_detail, name="request_detail"),
    path("requests/<uuid:uuid>/decide/", request_views.request_decide, name="request_decide"),
    path("o/<uuid:uuid>/", views.detail, name="detail"),
    path("o/<uuid:uuid>/decide/", views.decide, name="decide"),
    path("o/<uuid:uuid>/plan/", views.plan, name="plan"),
]
