from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "yimen.exchange"
    label = "exchange"
    verbose_name = "政务数据交换（好差评、12345、电子证照）"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the status page's action)
