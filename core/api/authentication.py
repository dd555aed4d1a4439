"""API tokens: ``Authorization: Bearer <key>`` (what OpenAPI clients send) or ``Authorization: Token <key>``.

The key is the one ``POST /api/v1/auth/token/`` answers. The schema documents it as an HTTP bearer scheme
(``bearerAuth``) and, for clients written against the ``Token`` prefix, as the ``tokenAuth`` header.

This module is loaded by ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` while DRF's views are being
defined, so it imports nothing that imports them.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the key after either ``Bearer`` or ``Token``."""

    keyword = "Token"  # the challenge of a 401 (``WWW-Authenticate: Token``)
    keywords = ("Bearer", "Token")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in {keyword.lower().encode() for keyword in self.keywords}:
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
        return self.authenticate_credentials(key)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The token in the schema: an HTTP bearer scheme, and the same key after ``Token`` as an API-key header."""

    target_class = TokenAuthentication
    name = ["bearerAuth", "tokenAuth"]
    priority = 1  # before drf-spectacular's own scheme for DRF's TokenAuthentication and its subclasses

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # either one (a single requirement would need both)

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <key>`, the key from `POST /api/v1/auth/token/`.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "The same key as `Authorization: Token <key>`.",
            },
        ]
