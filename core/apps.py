from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: API tokens, idempotency keys, webhook endpoints and their deliveries."""

    name = "core"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core import integration_tasks  # noqa: F401  (registers the webhook and idempotency-key tasks)
