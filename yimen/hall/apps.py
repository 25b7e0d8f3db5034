from django.apps import AppConfig


class HallConfig(AppConfig):
    """The hall's devices: slip printers, the boards' voice, presence codes, ID-card readers."""

    name = "yimen.hall"
    label = "hall"
    verbose_name = "大厅设备"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the actions with staff.authz)
