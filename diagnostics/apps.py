from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostics and root cause"

    def ready(self) -> None:
        from core.extensions import FACTS, METRICS, NOTICES
        from diagnostics import actions  # noqa: F401  (declares the diagnostics' actions)
        from diagnostics.advisories import advisory_notices
        from diagnostics.metrics import fault_signal_metrics
        from diagnostics.programmes import programme_notices
        from diagnostics.selectors import goodwill_suggestion

        NOTICES.add("rma", advisory_notices)
        NOTICES.add("rma", programme_notices)
        METRICS.add("metrics", fault_signal_metrics)
        FACTS.add("rma.goodwill_suggestion", goodwill_suggestion)
