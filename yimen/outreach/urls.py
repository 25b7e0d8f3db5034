from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("notices/", views.notices_page, name="notices"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice_read"),
    path("notices/read-all/", views.notices_read_all, name="notices_read_all"),
    path("reminders/", views.reminders_page, name="reminders"),
    path("unsubscribe/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
]
