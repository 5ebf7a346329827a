from django.urls import path

from kam.club import views

app_name = "club"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("members/", views.member_list, name="members"),
    path("accounts/<int:pk>/", views.member_page, name="member"),
    path("accounts/<int:pk>/section/", views.account_section, name="account_section"),
    path("accounts/<int:pk>/join/", views.member_join, name="join"),
    path("accounts/<int:pk>/leave/", views.member_leave, name="leave"),
    path("accounts/<int:pk>/redeem/", views.member_redeem, name="redeem"),
    path("accounts/<int:pk>/adjust/", views.member_adjust, name="adjust"),
    path("accounts/<int:pk>/referral/", views.member_referral, name="referral"),
    path("accounts/<int:pk>/invite/", views.member_invite, name="member_invite"),
    path("benefits/", views.benefit_list, name="benefits"),
    path("benefits/new/", views.benefit_create, name="benefit_create"),
    path("benefits/<int:pk>/edit/", views.benefit_edit, name="benefit_edit"),
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/", views.event_page, name="event"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:pk>/invite/", views.event_invite, name="invite"),
    path("invitations/<int:pk>/respond/", views.invitation_respond, name="respond"),
    path("invitations/<int:pk>/attendance/", views.invitation_attendance, name="attendance"),
    path("rules/", views.rules_page, name="rules"),
]
