from django.urls import path

from . import views

app_name = "guide"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("print/", views.print_list, name="print"),
]
