"""``POST /api/v1/auth/token/``: username and password in, a new integration token out (shown once).

``GET /api/v1/auth/tokens/`` lists the caller's own tokens (never their keys) and
``POST /api/v1/auth/tokens/{id}/revoke/`` revokes one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.input import StrictInput
from core.api.tokens import token_issue, token_revoke
from core.exceptions import InvalidInput
from core.login_limits import login_attempt_start, username_normalise
from core.models import ApiToken


class AuthTokenSerializer(StrictInput):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        required=False, max_length=100, help_text="What the token is for, e.g. the integration's name."
    )
    expires_in_days = serializers.IntegerField(
        required=False, min_value=1, max_value=365, help_text="Days until it expires (default `API_TOKEN_DAYS`)."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key: shown this once, stored only as a hash.")
    id = serializers.IntegerField()
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "active"]


class TokenView(APIView):
    """Exchange a staff member's username and password for a new named, expiring token.

    Only active staff with a role get one. Each call issues another token; revoke the ones no longer used.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # the sign-in limits below

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        # the same limits as the admin's sign-in, on failures only, and the same name normalisation
        data = dict(request.data.items()) if isinstance(request.data, Mapping) else {}
        username = data.get("username")
        if isinstance(username, str):
            data["username"] = username_normalise(username)
        attempt = login_attempt_start(request, str(username or ""))
        if not attempt.allowed:
            return Response(
                {"code": "too_many_attempts", "message": "Too many sign-in attempts; try again later."},
                status=429,
                headers={"Retry-After": str(attempt.verdict.retry_after)},
            )
        serializer = AuthTokenSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        user = authenticate(request._request, username=values["username"], password=values["password"])
        if user is None or not user.is_active:
            raise InvalidInput("Unable to log in with provided credentials.", code="invalid_credentials")
        attempt.succeeded()
        days = values.get("expires_in_days")
        token, key = token_issue(
            user=user,
            name=values.get("name") or "API token",
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        return Response({"token": key, "id": token.pk, "name": token.name, "expires_at": token.expires_at})


TOKEN_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The token's id.")


class TokenListView(APIView):
    """The caller's own tokens, newest first (never their keys)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user_id=request.user.pk or 0).order_by("-created_at", "-id")
        return Response(ApiTokenSerializer(tokens, many=True).data)


class TokenRevokeView(APIView):
    """Revoke one of the caller's tokens; it stops working at once (revoking twice changes nothing)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, parameters=[TOKEN_ID], responses={200: ApiTokenSerializer})
    def post(self, request: Request, id: int) -> Response:
        token = token_revoke(get_object_or_404(ApiToken, pk=id, user_id=request.user.pk or 0))
        return Response(ApiTokenSerializer(token).data)
