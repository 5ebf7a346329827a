from django.urls import path

from kam.service import kpi_views, views
from kam.service.survey_urls import staff_patterns

app_name = "service"
urlpatterns = [
    path("policies/", views.policies_page, name="policies"),
    path("policies/<str:tier>/edit/", views.policy_edit, name="policy_edit"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/week/", views.calendar_week, name="calendar_week"),
    path("calendar/import/", views.calendar_import, name="calendar_import"),
    path("calendar/load-cn-holidays/", views.calendar_load_cn, name="calendar_load_cn"),
    path("calendar/days/", views.calendar_add_day, name="calendar_add_day"),
    path("calendar/days/<str:day>/delete/", views.calendar_delete_day, name="calendar_delete_day"),
    path("accounts/<int:pk>/policy/", views.account_policy_section, name="account_policy"),
    *staff_patterns,  # SVC-3: service:satisfaction and the survey pages
    path("kpis/", kpi_views.kpi_page, name="kpis"),  # SVC-4
    path("kpis/export/", kpi_views.kpi_export, name="kpis_export"),
]
