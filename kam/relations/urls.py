from django.urls import path

from kam.relations import views

app_name = "relations"
urlpatterns = [
    path("activities/", views.activity_list, name="activities"),
    path("activities/export/", views.activity_export, name="export"),
    path("activities/new/", views.activity_create, name="create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="edit"),
    path("activities/<int:pk>/complete/", views.activity_complete, name="complete"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="delete"),
    path("accounts/<int:pk>/activities/", views.account_activities, name="account_activities"),
    path("accounts/<int:pk>/log/", views.account_log, name="account_log"),
    path(
        "accounts/<int:pk>/relationship/", views.account_relationship, name="account_relationship"
    ),
    path("accounts/<int:pk>/map/", views.account_map, name="map"),
    path("contacts/<int:pk>/activities/", views.contact_activities, name="contact_activities"),
    path("contacts/<int:pk>/log/", views.contact_log, name="contact_log"),
    path("cadence/", views.cadence_page, name="cadence"),
    path("overdue/", views.home_overdue, name="home_overdue"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("gifts/", views.gift_register_page, name="gifts"),
    path("gifts/export/", views.gift_register_export, name="gifts_export"),
]
