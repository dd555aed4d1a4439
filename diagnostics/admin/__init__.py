"""The diagnostics app's admin, by topic; importing the package registers every model admin."""

from diagnostics.admin import advisories, cases, components, patterns, programmes, returns, signals  # noqa: F401
