from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "yimen.online"
    label = "online"
    verbose_name = "网上申报"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the actions with staff.authz)
