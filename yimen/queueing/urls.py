from django.urls import path

from . import views

app_name = "queueing"
urlpatterns = [
    path("", views.index, name="index"),
    path("kiosk/<str:outlet_code>/", views.kiosk, name="kiosk"),
    path("t/<str:public_id>/", views.ticket_status, name="ticket_status"),
    path("t/<str:public_id>/print/", views.ticket_print, name="ticket_print"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("console/", views.console, name="console"),
    path("console/action/", views.console_action, name="console_action"),
    path("board/<str:outlet_code>/", views.board, name="board"),
    path("board/<str:outlet_code>/events", views.board_events, name="board_events"),
]
