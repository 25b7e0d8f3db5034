from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "yimen.staff"
    label = "staff"
    verbose_name = "人员与排班"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the actions with staff.authz)
        from . import admin_login  # noqa: F401  (admin site signs in through the staff login)
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from .models import ApiToken, Staff

        # cached token lookups (tokens.authenticate_token) depend on these rows
        for model in (ApiToken, Staff, get_user_model()):
            post_save.connect(_auth_changed, sender=model, dispatch_uid=f"yimen-auth-save-{model.__name__}")
            post_delete.connect(_auth_changed, sender=model, dispatch_uid=f"yimen-auth-delete-{model.__name__}")


def _auth_changed(**kwargs):
    from yimen.core import changes

    changes.bump("auth")
