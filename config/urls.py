from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("kam.accounts.urls")),
    path("contacts/", include("kam.contacts.urls")),
    path("transactions/", include("kam.transactions.urls")),
    path("data/", include("kam.dataio.urls")),
    path("insights/", include("kam.insights.urls")),
    path("segments/", include("kam.segments.urls")),
    path("risk/", include("kam.risk.urls")),
    path("service/", include("kam.service.urls")),
    path("tickets/", include("kam.service.ticket_urls")),
    path("survey/", include("kam.service.survey_public_urls")),  # customers, no login
    path("notifications/", include("kam.notifications.urls")),
    path("relations/", include("kam.relations.urls")),
    path("plans/", include("kam.plans.urls")),
    path("club/", include("kam.club.urls")),
    path("", include("kam.core.urls")),
]
