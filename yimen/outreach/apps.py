from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "yimen.outreach"
    label = "outreach"
    verbose_name = "消息提醒与通知"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the notices' actions and scopes)
