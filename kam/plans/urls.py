from django.urls import path

from kam.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list_page, name="list"),
    path("new/", views.plan_create, name="create"),
    path("accounts/<int:pk>/", views.account_section, name="account_section"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/print/", views.plan_print, name="print"),
    path("<int:pk>/delete/", views.plan_delete, name="delete"),
    path("<int:pk>/basics/save/", views.basics, name="basics"),
    path("<int:pk>/whitespace/save/", views.whitespace, name="whitespace"),
    path("<int:pk>/whitespace/axes/", views.whitespace_axes, name="whitespace_axes"),
    path("<int:pk>/<slug:kind>/", views.part_section, name="section"),
    path("<int:pk>/<slug:kind>/add/", views.part_save, name="part_add"),
    path("<int:pk>/<slug:kind>/<int:item>/", views.part_save, name="part_save"),
    path("<int:pk>/<slug:kind>/<int:item>/delete/", views.part_delete, name="part_delete"),
]
