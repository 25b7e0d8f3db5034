from django.urls import path

from . import idcard_views, views

app_name = "hall"
urlpatterns = [
    path("pair/", views.pair, name="pair"),
    path("unpair/", views.unpair, name="unpair"),
    path("presence/<str:outlet_code>/", views.presence_code, name="presence"),
    path("here/<str:outlet_code>/<str:code>/", views.here, name="here"),
    path("voice/closed.wav", views.voice_closed, name="voice_closed"),
    path("voice/<str:number>/<str:window>.wav", views.voice_call, name="voice"),
    path("print/<str:public_id>/", views.print_slip, name="print"),
    path("idcard/<str:outlet_code>/", idcard_views.read_card, name="idcard"),
]
