"""Authentication backend with lockout: every sign-in (the staff login page, the admin site)
goes through it. 5 failures in 15 minutes lock the *username from that client address* for 30
minutes (settings.YIMEN; the address is the real one, core.clientaddr), and 20 failures from one
address lock it for every username — so nobody can lock an account (the admin's) out from
elsewhere. Unknown usernames are treated exactly like known ones, so the answer never reveals who
exists."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import services


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        name = services.normalize_username(username)
        if services.locked_until(name, request=request):
            services.record_login_failure(name, request=request, stage="locked")
            if request is not None:
                request.yimen_login_locked = True
            raise PermissionDenied("locked")  # stops other backends; authenticate() returns None
        user = super().authenticate(request, username=name, password=password, **kwargs)
        if user is None:
            until = services.record_login_failure(name, request=request)
            if until and request is not None:
                request.yimen_login_locked = True
            return None
        return user

    def user_can_authenticate(self, user):
        staff = getattr(user, "staff", None)
        if staff is not None and not staff.active:
            return False
        return super().user_can_authenticate(user)
