from django.urls import path

from kam.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("export/", views.account_export, name="export"),
    path("new/", views.account_create, name="create"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/history/", views.account_history_page, name="history"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/team/", views.account_team_add, name="team_add"),
    path("<int:pk>/team/<int:user_pk>/remove/", views.account_team_remove, name="team_remove"),
    path("<int:pk>/delete/", views.account_delete, name="delete"),
]
