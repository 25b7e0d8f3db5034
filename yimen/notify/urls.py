from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [path("receipts/<str:provider>", views.receipts, name="receipts")]
