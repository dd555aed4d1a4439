from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.api.tokens import key_hash
from core.models import ApiToken


def token_key_for(user, *, days: int = 30) -> str:
    """A working key for ``user``'s new token, written as issuing would (hash only), whatever their role.

    Marked as just used, so recording its first use is no extra query in a test that counts them.
    """
    key = f"rma_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    ApiToken.objects.create(
        user=user,
        name="tests",
        key_hash=key_hash(key),
        prefix=key[:10],
        expires_at=now + timedelta(days=days),
        last_used_at=now,
    )
    return key


@pytest.fixture
def api():
    """``api(user)``: a client that sends a token of ``user``'s; ``api()`` sends none."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_key_for(user)}")
        return client

    return make
