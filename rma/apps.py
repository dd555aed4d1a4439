from django.apps import AppConfig


class RmaConfig(AppConfig):
    name = "rma"
    verbose_name = "Returns (RMA)"

    def ready(self) -> None:
        from core.extensions import METRICS
        from rma import actions  # noqa: F401  (declares the returns' actions)
        from rma.metrics import outbox_metrics

        METRICS.add("metrics", outbox_metrics)
