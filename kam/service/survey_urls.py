"""The satisfaction pages (SVC-3), in the service namespace (kam/service/urls.py adds
them): service:satisfaction and the pages around it."""

from django.urls import path

from kam.service import survey_views as views

staff_patterns = [
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("satisfaction/export/", views.satisfaction_export, name="satisfaction_export"),
    path("satisfaction/requests/", views.survey_requests, name="survey_requests"),
    path("satisfaction/requests/<int:pk>/link/", views.renew, name="survey_renew_link"),
    path("satisfaction/requests/<int:pk>/withdraw/", views.withdraw, name="survey_withdraw"),
    path("satisfaction/tickets/<int:pk>/", views.ticket_section, name="ticket_survey"),
    path(
        "satisfaction/tickets/<int:pk>/record/",
        views.record_for_ticket,
        name="ticket_survey_record",
    ),
    path("satisfaction/accounts/<int:pk>/", views.account_section, name="account_satisfaction"),
    path(
        "satisfaction/accounts/<int:pk>/record/",
        views.record_for_account,
        name="account_survey_record",
    ),
    path("satisfaction/accounts/<int:pk>/ask/", views.ask_for_account, name="account_survey_ask"),
]
