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

from core.login_limits import login_attempt_hit


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
        # the same limits as the admin's sign-in: per username and per client address
        data = request.data if isinstance(request.data, Mapping) else {}
        verdict = login_attempt_hit(request, str(data.get("username", "")))
        if not verdict.allowed:
            return Response(
                {"code": "too_many_attempts", "message": "Too many sign-in attempts; try again later."},
                status=429,
                headers={"Retry-After": str(verdict.retry_after)},
            )
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
