from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostics and root cause"

    def ready(self) -> None:
        from diagnostics.advisories import advisory_notices
        from rma.notices import register_notice_provider

        register_notice_provider(advisory_notices)
