from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "yimen.notify"
    label = "notify"
    verbose_name = "消息发送"
