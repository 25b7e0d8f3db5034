from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "yimen.staff"
    label = "staff"
    verbose_name = "人员与排班"

    def ready(self):
        from . import (
            admin_login,  # noqa: F401  (admin site signs in through the staff login)
            permissions,  # noqa: F401  (registers the actions with staff.authz)
            signals,
        )

        signals.connect()
