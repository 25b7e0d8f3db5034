from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("<str:code>/", views.item_detail, name="detail"),
    path("<str:code>/print/", views.item_print, name="print"),
]
