from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "yimen.guide"
    label = "guide"
    verbose_name = "智能导办"

    def ready(self):
        from . import permissions  # noqa: F401
