from django.urls import path

from kam.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.watch_list_page, name="watch_list"),
    path("export/", views.watch_list_export, name="export"),
    path("runs/", views.start_run, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="run_status"),
]
