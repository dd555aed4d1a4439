from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: API tokens, idempotency keys, webhooks, and rate counters for when the cache is down."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core import integration_tasks  # noqa: F401  (registers the webhook and idempotency-key tasks)
