from django.apps import AppConfig


class OutletsConfig(AppConfig):
    name = "yimen.outlets"
    label = "outlets"
    verbose_name = "网点与窗口"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the actions with staff.authz)
