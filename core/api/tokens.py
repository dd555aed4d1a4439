"""Integration tokens: issued to active staff with a role, stored as a SHA-256, expiring and revocable.

A key is ``rma_`` and 43 random URL-safe characters (256 bits), shown once when it is issued; the
database keeps its SHA-256 (a key that long needs no slow hash) and its first characters to recognise it.
A token works while it is neither expired nor revoked and its user is still active, on staff and in a
role (``API_TOKEN_ROLES``, or a superuser). Its last use is recorded at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.exceptions import DomainError, InvalidInput
from core.models import ApiToken

LAST_USE_PRECISION = timedelta(seconds=60)


class TokenNotAllowed(DomainError):
    code = "token_not_allowed"
    http_status = 403


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def user_may_hold_token(user: AbstractBaseUser) -> bool:
    """Active staff with a role (a group named in ``API_TOKEN_ROLES``), or an active superuser."""
    if not (user.is_active and getattr(user, "is_staff", False)):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return user.groups.filter(name__in=settings.API_TOKEN_ROLES).exists()  # type: ignore[attr-defined]


def token_issue(*, user: AbstractBaseUser, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key (the only time the key is known)."""
    if not user_may_hold_token(user):
        raise TokenNotAllowed("API tokens are issued only to active staff with a role.")
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(days=settings.API_TOKEN_DAYS)
    if expires_at <= now:
        raise InvalidInput("A token must expire in the future.", code="invalid_expiry", field="expires_at")
    key = f"rma_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user_id=user.pk,
        name=name.strip() or "API token",
        key_hash=key_hash(key),
        prefix=key[:10],
        expires_at=expires_at,
    )
    return token, key


def token_revoke(token: ApiToken) -> ApiToken:
    """Revoke ``token`` from now on (revoking twice keeps the first moment)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=token.revoked_at)
    return token


class TokenRefused(Exception):
    """The key names no usable token; ``code`` says why (``authentication_failed``, ``token_expired``, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def token_authenticate(key: str) -> ApiToken:
    """The token ``key`` names, with its user, in one query; its last use recorded. Raises ``TokenRefused``."""
    from django.contrib.auth.models import Group

    role = Group.objects.filter(user=OuterRef("user_id"), name__in=settings.API_TOKEN_ROLES)
    token = (
        ApiToken.objects.select_related("user")
        .annotate(user_has_role=Exists(role))
        .filter(key_hash=key_hash(key))
        .first()
    )
    if token is None:
        raise TokenRefused("authentication_failed", "Invalid token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("token_revoked", "This token has been revoked.")
    if token.expires_at <= now:
        raise TokenRefused("token_expired", "This token has expired.")
    user = token.user
    if not (user.is_active and user.is_staff and (user.is_superuser or token.user_has_role)):  # type: ignore[attr-defined]
        raise TokenRefused("token_not_allowed", "This token's user is no longer active staff with a role.")
    if token.last_used_at is None or token.last_used_at < now - LAST_USE_PRECISION:
        token.last_used_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
