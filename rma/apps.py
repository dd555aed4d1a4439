from django.apps import AppConfig


class RmaConfig(AppConfig):
    name = "rma"
    verbose_name = "Returns (RMA)"

    def ready(self) -> None:
        from rma import actions  # noqa: F401  (declares the returns' actions)
