from django.contrib import admin
from django.urls import include, path

from yimen.api import api
from yimen.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("yimen.ops.urls")),  # /healthz, /readyz, /metrics
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("catalog/", include("yimen.catalog.urls")),
    path("outlets/", include("yimen.outlets.urls")),
    path("staff/", include("yimen.staff.urls")),
    path("queue/", include("yimen.queueing.urls")),
    path("cases/", include("yimen.cases.urls")),
    path("feedback/", include("yimen.feedback.urls")),
    path("guide/", include("yimen.guide.urls")),
    path("portal/", include("yimen.portal.urls")),
    path("insight/", include("yimen.insight.urls")),
    path("hall/", include("yimen.hall.urls")),
    path("notify/", include("yimen.notify.urls")),
    path("outreach/", include("yimen.outreach.urls")),
    path("online/", include("yimen.online.urls")),
    path("exchange/", include("yimen.exchange.urls")),
]

# Chinese error pages; JSON {"code", "message"} under /api/ (core.http_errors)
handler400 = "yimen.core.http_errors.bad_request"
handler403 = "yimen.core.http_errors.permission_denied"
handler404 = "yimen.core.http_errors.page_not_found"
handler500 = "yimen.core.http_errors.server_error"
