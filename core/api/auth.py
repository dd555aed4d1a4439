"""``POST /api/v1/auth/token/``: username and password in, ``{"token": ...}`` out."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.login_limits import login_attempt_start, username_normalise


class TokenView(APIView):
    """Exchange a staff member's username and password for their API token (the same token every time)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        auth=[],
    )
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
        serializer = AuthTokenSerializer(data=data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        attempt.succeeded()
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
