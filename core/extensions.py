"""Extension points: where a later app adds to an earlier app's pages and answers.

The returns app knows nothing about diagnoses; the diagnostics app adds its panels to a return's admin
page, its notices to the customer's status page, and its goodwill suggestion to the API's answer by
registering providers here from its ``AppConfig.ready()``. This is the one mechanism for that::

    from core.extensions import PAGE_PANELS

    PAGE_PANELS.add("rma", goodwill_panel)   # goodwill_panel(request, rma) -> list of panels

Providers are called in registration order; adding one twice keeps one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Point:
    """Providers for each key (a kind of object, e.g. ``"rma"``), in registration order."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._providers: dict[str, list[Any]] = {}

    def add(self, key: str, provider: Any) -> Any:
        providers = self._providers.setdefault(key, [])
        if provider not in providers:
            providers.append(provider)
        return provider

    def remove(self, key: str, provider: Any) -> None:
        providers = self._providers.get(key, [])
        if provider in providers:
            providers.remove(provider)

    def __call__(self, key: str) -> list[Any]:
        return list(self._providers.get(key, []))

    def first(self, key: str) -> Callable[..., Any] | None:
        providers = self._providers.get(key, [])
        return providers[0] if providers else None


PAGE_PANELS = Point("page panels", "(request, obj) -> list of panels on the object's admin page.")
ACTION_PANELS = Point("action panels", "(request, obj, action, form) -> list of panels inside an action's form.")
ACTION_INITIAL = Point("action initial", "(request, obj, action) -> dict of initial values for an action's form.")
INLINES = Point("inlines", "Admin inline classes shown on the object's admin page, before the page's own.")
NOTICES = Point("notices", "(rma) -> notices shown on a return's public status page.")
FACTS = Point("facts", "Functions answering a named question a lower app cannot answer itself.")
METRICS = Point("metrics", "() -> Prometheus metric families read at each scrape of /metrics (core.metrics).")
