from django.urls import path

from kam.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rfm/", views.rfm_page, name="rfm"),
    path("settings/", views.settings_page, name="settings"),
    path("runs/", views.start_run, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="run_status"),
    path("accounts/<int:pk>/override/", views.override, name="override"),
    path("accounts/<int:pk>/override/clear/", views.clear_override, name="clear_override"),
    path("accounts/<int:pk>/ratings/", views.ratings, name="ratings"),
]
