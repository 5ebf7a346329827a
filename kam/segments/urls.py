from django.urls import path

from kam.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("seed/", views.segment_seed, name="seed"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/export/", views.segment_export, name="export"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/strategies/new/", views.strategy_create, name="strategy_create"),
    path("strategies/<int:pk>/edit/", views.strategy_edit, name="strategy_edit"),
    path("<int:pk>/evaluate/", views.segment_evaluate, name="evaluate"),
    path("evaluate/", views.evaluate_compare, name="evaluate_compare"),
    path("clusters/", views.clusters, name="clusters"),
    path("clusters/<int:pk>/save/", views.clusters_save, name="clusters_save"),
    path("rules/", views.label_rules_page, name="rules"),
    path("stp/", views.stp_list, name="stp"),
    path("stp/<int:pk>/", views.stp_detail, name="stp_detail"),
    path("accounts/<int:pk>/", views.account_strategies, name="account_strategies"),
]
