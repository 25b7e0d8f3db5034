from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "yimen.insight"
    label = "insight"
    verbose_name = "数据与仿真"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the actions with staff.authz)
