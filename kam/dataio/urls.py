from django.urls import path

from kam.dataio import views

app_name = "dataio"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("export/", views.export_page, name="export"),
]
