from django.urls import path

from . import views

app_name = "insight"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("hall/<str:code>/", views.hall, name="hall"),
    path("hall/<str:code>/panel/", views.hall_panel, name="hall_panel"),
    path("reports/", views.report_page, name="reports"),
    path("reports/export.xlsx", views.report_export, name="report_export"),
    path("whatif/", views.whatif_page, name="whatif"),
    path("staffing/", views.staffing_page, name="staffing"),
]
