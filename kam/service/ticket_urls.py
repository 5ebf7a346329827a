from django.urls import path

from kam.service import ticket_views as views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("export/", views.ticket_export, name="export"),
    path("new/", views.ticket_create, name="create"),
    path("new/contacts/", views.contact_options, name="contact_options"),
    path("account/<int:pk>/", views.account_tickets, name="account_section"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/edit/", views.ticket_edit, name="edit"),
    path("<int:pk>/handover/", views.ticket_handover, name="handover"),
    path("<int:pk>/comment/", views.ticket_comment, name="comment"),
    path("<int:pk>/attach/", views.ticket_attach, name="attach"),
    path("<int:pk>/files/<int:attachment>/", views.attachment_download, name="download"),
    path("<int:pk>/<str:action>/", views.ticket_action, name="action"),
]
