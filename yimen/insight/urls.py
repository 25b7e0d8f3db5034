from django.urls import path

from . import views

app_name = "insight"
urlpatterns = [
    path("whatif/", views.whatif_page, name="whatif"),
]
