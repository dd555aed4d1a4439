"""Small facts about a request that several apps need."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: from ``RMA_CLIENT_IP_HEADER`` behind a proxy (its last entry), else the socket."""
    if settings.RMA_CLIENT_IP_HEADER:
        value = request.META.get(settings.RMA_CLIENT_IP_HEADER, "")
        if value:
            return value.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
