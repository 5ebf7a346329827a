"""The customer's survey page (SVC-3): /survey/<token>/, no login (config/urls.py)."""

from django.urls import path

from kam.service import survey_views as views

app_name = "survey"
urlpatterns = [
    path("<str:token>/", views.answer, name="answer"),
]
