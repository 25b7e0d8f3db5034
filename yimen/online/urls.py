from django.urls import path

from . import bundle_views, office_views, oidc, views

app_name = "online"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("oidc/start/", oidc.start, name="oidc_start"),
    path("oidc/callback/", oidc.callback, name="oidc_callback"),
    path("apply/<str:code>/", views.apply, name="apply"),
    path("bundle/<str:code>/", bundle_views.start, name="bundle"),
    path("g/<str:group>/", bundle_views.group, name="group"),
    path("a/<str:public_id>/", views.application, name="application"),
    path("a/<str:public_id>/result.pdf", views.result_pdf, name="result_pdf"),
    path("a/<str:public_id>/notice/<int:notice_id>.pdf", views.notice_pdf, name="notice_pdf"),
    path("file/<int:upload_id>/", views.file, name="file"),
    path("office/", office_views.queue, name="office"),
    path("office/<int:pk>/", office_views.detail, name="office_detail"),
]
