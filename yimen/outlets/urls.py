from django.urls import path

from . import views

app_name = "outlets"
urlpatterns = [
    path("", views.outlet_list, name="list"),
    path("<str:code>/", views.outlet_detail, name="detail"),
]
