from django.urls import path

from . import bundle_views, document_views, payment_views, promise_views, views

app_name = "cases"
urlpatterns = [
    path("", views.index, name="index"),
    path("intake/", views.intake, name="intake"),
    path("bundle/", bundle_views.bundle_intake, name="bundle_intake"),
    path("bundle/<int:pk>/", bundle_views.bundle_detail, name="bundle_detail"),
    path("intake/call/", views.call_next, name="call_next"),
    path("intake/finish/", views.finish_ticket, name="finish_ticket"),
    path("approvals/", views.approvals, name="approvals"),
    path("time-limits/", views.time_limits, name="time_limits"),
    path("progress/", views.progress, name="progress"),
    path("verify/<str:token>/", document_views.verify, name="verify"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/notices/<int:notice_id>.pdf", document_views.notice_pdf, name="notice_pdf"),
    path("<int:pk>/result.pdf", document_views.result_pdf, name="result_pdf"),
    path("<int:pk>/promise/<int:line>/", promise_views.sign, name="promise_sign"),
    path("<int:pk>/pay/", payment_views.pay, name="pay"),
    path("<int:pk>/payments/<int:payment_id>.pdf", payment_views.receipt_pdf, name="payment_pdf"),
    path("cash-close/", payment_views.cash_close, name="cash_close"),
    path("promises/", promise_views.tasks, name="promise_tasks"),
    path("<int:pk>/promises/<int:promise_id>.pdf", promise_views.pdf_view, name="promise_pdf"),
]
