from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("mode/", views.mode, name="mode"),
    path("search/", views.search, name="search"),
    path("outlets/", views.outlets, name="outlets"),
    path("item/<str:code>/", views.item, name="item"),
    path("bundle/<str:code>/", views.bundle, name="bundle"),
    path("item/<str:code>/book/", views.book, name="book"),
    path("item/<str:code>/remote/", views.remote, name="remote"),
    path("appointment/", views.appointment_lookup, name="appointment_lookup"),
    path("appointment/<str:public_id>/", views.appointment, name="appointment"),
    path("ticket/<str:public_id>/", views.ticket, name="ticket"),
    path("progress/", views.progress, name="progress"),
    path("rate/", views.rate_find, name="rate_find"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("grievance/", views.grievance, name="grievance"),
    path("mine/", views.mine, name="mine"),
]
