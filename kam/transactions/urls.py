from django.urls import path

from kam.transactions import views

app_name = "transactions"
urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/export/", views.order_export, name="orders_export"),
    path("orders/new/", views.order_create, name="order_create"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/export/", views.payment_export, name="payments_export"),
    path("payments/new/", views.payment_create, name="payment_create"),
]
