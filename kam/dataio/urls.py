from django.urls import path

app_name = "dataio"
urlpatterns: list = []
