from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "yimen.feedback"
    label = "feedback"
    verbose_name = "好差评与办不成事"
