from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yimen.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        import os

        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        from . import clock, signals  # noqa: F401

        training = os.environ.get("YIMEN_DEMO_CLOCK", "").strip()
        if training:
            try:
                clock.start_training_clock(training, debug=settings.DEBUG)
            except ValueError as exc:
                raise ImproperlyConfigured(str(exc)) from None
