from django.urls import path

from . import tracking_views, views, when_views

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
    path("item/<str:code>/when/", when_views.when, name="when"),
    path("appointment/", views.appointment_lookup, name="appointment_lookup"),
    path("appointment/<str:public_id>/", views.appointment, name="appointment"),
    path("ticket/<str:public_id>/", views.ticket, name="ticket"),
    path("progress/", tracking_views.progress, name="progress"),
    path("rate/", tracking_views.rate_find, name="rate_find"),
    path("rate/<str:token>/", tracking_views.rate, name="rate"),
    path("grievance/", tracking_views.grievance, name="grievance"),
    path("mine/", tracking_views.mine, name="mine"),
]
