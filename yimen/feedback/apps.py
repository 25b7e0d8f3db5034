from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "yimen.feedback"
    label = "feedback"
    verbose_name = "好差评与办不成事"

    def ready(self):
        from . import (
            permissions,  # noqa: F401  (registers the actions with staff.authz)
            receivers,  # noqa: F401  (opens grievances for cases recorded as 很难办)
        )
