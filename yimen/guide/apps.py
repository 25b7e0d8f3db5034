from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "yimen.guide"
    label = "guide"
    verbose_name = "智能导办"
