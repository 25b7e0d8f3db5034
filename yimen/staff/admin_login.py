"""The admin site signs in through /staff/login/ (lockout, TOTP), never through its own form."""

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect


def _admin_login(request, extra_context=None):
    target = request.GET.get("next") or "/admin/"
    return HttpResponseRedirect("/staff/login/?" + urlencode({"next": target}))


admin.site.login = _admin_login
