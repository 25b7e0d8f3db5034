from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yimen.cases"
    label = "cases"
    verbose_name = "办件"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the actions with staff.authz)
