from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "yimen.queueing"
    label = "queueing"
    verbose_name = "排队叫号"

    def ready(self):
        from . import (
            permissions,  # noqa: F401  (registers the queue's actions)
            signals,
        )

        signals.connect()
