"""API tokens: ``Authorization: Bearer <key>`` (what OpenAPI clients send) or ``Authorization: Token <key>``.

The key is one of the user's integration tokens (``core.api.tokens``: hashed, named, expiring, revocable),
issued by ``POST /api/v1/auth/token/`` or in the admin. The schema documents it as an HTTP bearer scheme
(``bearerAuth``) and, for clients written against the ``Token`` prefix, as the ``tokenAuth`` header.

This module is loaded by ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` while DRF's views are being
defined, so it imports nothing that imports them, and the token rows only when a request comes.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.BaseAuthentication):
    """An integration token after either ``Bearer`` or ``Token``."""

    keyword = "Token"  # the challenge of a 401 (``WWW-Authenticate: Token``)
    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None  # another scheme, or none: the next authentication class may know it
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed("Invalid token header. Token string should not contain spaces.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain invalid characters."
            )
        from core.api.tokens import TokenRefused, token_authenticate

        try:
            token = token_authenticate(key)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(refused.message, code=refused.code) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The token in the schema: an HTTP bearer scheme, and the same key after ``Token`` as an API-key header."""

    target_class = TokenAuthentication
    name = ["bearerAuth", "tokenAuth"]
    priority = 1

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # either one (a single requirement would need both)

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <key>`, an integration token from `POST /api/v1/auth/token/` "
                "or the admin.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "The same key as `Authorization: Token <key>`.",
            },
        ]
