from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Yimen on several machines: metrics, health checks, backup drills (docs/scaling.md)."""

    name = "yimen.ops"
    label = "ops"
    verbose_name = "运维"

    def ready(self):
        from yimen.core import changes

        from .metrics import CHANGES_RECEIVED

        changes.on_bump(CHANGES_RECEIVED.inc)  # every change this process sees (own + NOTIFY)
