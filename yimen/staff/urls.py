from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("login/", views.login_view, name="login"),
    path("login/totp/", views.login_totp_view, name="login_totp"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/", views.totp_enrol_view, name="totp"),
    path("window/", views.window_view, name="window"),
    path("people/", views.people_view, name="people"),
    path("people/<str:username>/", views.person_view, name="person"),
    path("rota/<str:outlet_code>/", views.rota_view, name="rota"),
    path("rota/<str:outlet_code>/export.xlsx", views.rota_export, name="rota_export"),
    path("rota/<str:outlet_code>/change/", views.rota_change, name="rota_change"),
]
