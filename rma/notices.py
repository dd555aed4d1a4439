"""Notices on a return's public status page, contributed by other apps.

The returns app knows nothing about failure patterns; an app that does (diagnostics, for its
advisories) registers a provider from its ``AppConfig.ready()``::

    from rma.notices import Notice, register_notice_provider

    def advisories(rma):
        return [Notice(title=..., body=...)]

    register_notice_provider(advisories)

A provider takes the RMA and returns notices (plain text; the page escapes it). A provider that
fails is logged and skipped: a notice never takes the status page down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rma.models import RMA

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    url: str = ""  # an optional link for more (http/https or a path on this site)


NoticeProvider = Callable[[RMA], Iterable[Notice]]

_providers: list[NoticeProvider] = []


def register_notice_provider(provider: NoticeProvider) -> NoticeProvider:
    """Add ``provider`` (once, however often ``ready()`` runs); usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_notice_provider(provider: NoticeProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def _safe_url(url: str) -> str:
    """Only web addresses and paths on this site become links."""
    url = url.strip()
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return ""


def notices_for(rma: RMA) -> list[Notice]:
    """Every registered provider's notices for ``rma``, in registration order."""
    notices: list[Notice] = []
    for provider in list(_providers):
        try:
            for notice in provider(rma):
                notices.append(Notice(title=notice.title, body=notice.body, url=_safe_url(notice.url)))
        except Exception:
            logger.exception("Notice provider %r failed for RMA %s", provider, rma.pk)
    return notices
