from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.status_page, name="status"),
    path("12345/work-orders", views.work_order_webhook, name="work_orders"),
    path("cases/<int:case_id>/licences/", views.licences_page, name="licences"),
]
