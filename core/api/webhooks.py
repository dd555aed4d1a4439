"""``/api/v1/webhook-endpoints/``: staff with ``core.manage_webhooks`` register where events are sent (SPEC §12)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core import webhooks
from core.api.idempotency import idempotent
from core.api.input import StrictInput, valid_input
from core.api.permissions import ActionPermission
from core.models import WebhookEndpoint

MANAGE = "core.manage_webhooks"
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The endpoint's id.")
EVENT_CHOICES = ["*", *webhooks.EVENT_TYPES]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "description", "created_at", "updated_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="Signs every delivery (`X-Webhook-Signature`); shown this once.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointCreateSerializer(StrictInput):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1)
    active = serializers.BooleanField(default=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointChangeSerializer(StrictInput):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, required=False)
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema_view(
    retrieve=extend_schema(parameters=[ID_PARAMETER]),
    create=extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointCreatedSerializer}),
    partial_update=extend_schema(
        parameters=[ID_PARAMETER], request=WebhookEndpointChangeSerializer, responses=WebhookEndpointSerializer
    ),
    destroy=extend_schema(parameters=[ID_PARAMETER], responses={204: None}),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook endpoints: the URL, the event types it receives (or `*`), whether it is active.

    Every delivery is signed with the endpoint's secret, returned once when the endpoint is created.
    """

    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = [ActionPermission]
    action_permissions = {name: MANAGE for name in ("list", "retrieve", "create", "partial_update", "destroy")}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.order_by("id")

    @idempotent
    def create(self, request: Request) -> Response:
        data = valid_input(WebhookEndpointCreateSerializer, request)
        endpoint = webhooks.endpoint_create(created_by=request.user, **data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = valid_input(WebhookEndpointChangeSerializer, request)
        endpoint = webhooks.endpoint_update(self.get_object(), **data)
        return Response(WebhookEndpointSerializer(endpoint).data)
