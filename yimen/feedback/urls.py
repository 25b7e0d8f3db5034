from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rate/window/<str:window_code>/", views.window_rate, name="window_rate"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("grievances/new/", views.grievance_new, name="grievance_new"),
    path("grievances/materials/", views.materials, name="materials"),
    path("grievances/<int:pk>/", views.grievance_detail, name="grievance"),
    path("grievances/<int:pk>/slip/", views.grievance_slip, name="slip"),
    path("g/<str:token>/", views.public_status, name="public_status"),
]
