"""Notices on a return's public status page, contributed by other apps.

The returns app knows nothing about failure patterns; an app that does (diagnostics, for its
advisories) adds a provider to the ``NOTICES`` extension point from its ``AppConfig.ready()``::

    from core.extensions import NOTICES
    from rma.notices import Notice

    def advisories(rma):
        return [Notice(title=..., body=...)]

    NOTICES.add("rma", advisories)

A provider takes the RMA and returns notices (plain text; the page escapes it). A provider that
fails is logged and skipped: a notice never takes the status page down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.extensions import NOTICES
from rma.models import RMA

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    url: str = ""  # an optional link for more (http/https or a path on this site)


def _safe_url(url: str) -> str:
    """Only web addresses and paths on this site become links."""
    url = url.strip()
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return ""


def notices_for(rma: RMA) -> list[Notice]:
    """Every registered provider's notices for ``rma``, in registration order."""
    notices: list[Notice] = []
    for provider in NOTICES("rma"):
        try:
            for notice in provider(rma):
                notices.append(Notice(title=notice.title, body=notice.body, url=_safe_url(notice.url)))
        except Exception:
            logger.exception("Notice provider %r failed for RMA %s", provider, rma.pk)
    return notices
