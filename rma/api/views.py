"""The returns API: devices by serial, RMAs by number with one POST action per lifecycle step.

Each action's only logic is the service call (the same services the admin uses); the answer is the
RMA as ``rmas/{number}/`` shows it. The routes are derived from the declared actions (``core.api.actions``),
including the ones the diagnostics app declares (diagnose, grant-goodwill).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.actions import ActionRoutesMixin
from core.api.idempotency import idempotent
from core.api.input import LOOKUP, valid_input
from core.api.permissions import ActionPermission
from core.exceptions import InvalidInput
from core.extensions import FACTS
from rma import selectors, services
from rma.api import serializers as s
from rma.api.filters import DeviceFilter, RMAFilter
from rma.models import RMA, Device, ProductModel, RMAEvent, Source

PROCESS = "rma.process_rma"
SERIAL_PARAMETER = OpenApiParameter("serial_number", str, OpenApiParameter.PATH, description="The unit's serial.")
NUMBER_PARAMETER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="The RMA number.")


@extend_schema_view(
    retrieve=extend_schema(parameters=[SERIAL_PARAMETER], responses=s.DeviceDetailSerializer),
    create=extend_schema(request=s.DeviceCreateSerializer, responses={201: s.DeviceDetailSerializer}),
)
class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Units of the installed base, by serial number, with their warranty end and returns."""

    serializer_class = s.DeviceSerializer
    lookup_field = "serial_number"
    sync_field = "updated_at"  # ?updated_since and ?cursor (core.api.pagination)
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {"list": "rma.view_device", "retrieve": "rma.view_device", "create": "rma.add_device"}
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = DeviceFilter
    ordering_fields = ["serial_number", "shipped_on", "manufactured_on", "warranty_ends_on", "created_at"]
    ordering = ["serial_number"]

    def get_queryset(self) -> QuerySet[Device]:
        return selectors.device_list()

    def retrieve(self, request: Request, serial_number: str = "") -> Response:
        device = selectors.device_by_serial(serial_number)
        return Response(self._detail(device))

    @idempotent
    def create(self, request: Request) -> Response:
        data = valid_input(s.DeviceCreateSerializer, request)
        sku = data.pop("model_sku").strip()
        model = ProductModel.objects.filter(sku=sku).first()
        if model is None:
            raise InvalidInput(f"Unknown product model “{sku}”.", code="unknown_model", field="model_sku")
        device = services.device_create(product_model=model, **data)
        return Response(self._detail(selectors.device_by_serial(device.serial_number)), status=status.HTTP_201_CREATED)

    def _detail(self, device: Device) -> Any:
        return s.DeviceDetailSerializer(device, context={"rma_history": selectors.device_rma_history(device)}).data


@extend_schema_view(
    retrieve=extend_schema(parameters=[NUMBER_PARAMETER]),
    create=extend_schema(request=s.RMACreateSerializer, responses={201: s.RMADetailSerializer}),
)
class RMAViewSet(
    ActionRoutesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Returns by number. Lifecycle steps are POST actions (``rma.actions``, ``diagnostics.actions``); a step the
    lifecycle refuses answers 409."""

    action_kind = "rma"
    action_response = s.RMADetailSerializer
    action_parameter = NUMBER_PARAMETER

    serializer_class = s.RMASerializer
    lookup_field = "number"
    sync_field = "updated_at"  # ?updated_since and ?cursor (core.api.pagination)
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {"list": "rma.view_rma", "retrieve": "rma.view_rma", "create": "rma.add_rma"}
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = RMAFilter
    ordering_fields = ["created_at", "reported_on", "due_at", "status_changed_at", "number", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[RMA]:
        return selectors.rma_list()

    def get_serializer_class(self):
        return s.RMADetailSerializer if self.action == "retrieve" else s.RMASerializer

    def retrieve(self, request: Request, number: str = "") -> Response:
        return Response(self.detail_data(number))

    @idempotent
    def create(self, request: Request) -> Response:
        data = valid_input(s.RMACreateSerializer, request)
        rma = services.rma_create(actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(rma.number), status=status.HTTP_201_CREATED)

    def detail_object(self, number: str) -> RMA:
        rma = selectors.rma_get_by_number(number)
        events = RMAEvent.objects.select_related("actor").order_by("created_at", "id")
        return (
            selectors.rma_list()
            .select_related("repeat_of", "refund__approved_by")
            .prefetch_related(Prefetch("events", queryset=events))
            .get(pk=rma.pk)
        )

    def detail_data(self, number: str) -> Any:
        rma = self.detail_object(number)
        # Whether goodwill could be granted depends on the diagnosis: the app that owns diagnoses answers.
        suggest = FACTS.first("rma.goodwill_suggestion")
        goodwill = suggest(rma) if suggest is not None and not rma.is_final else None
        return s.RMADetailSerializer(rma, context={"request": self.request, "goodwill": goodwill}).data

    def action_object(self, lookup: str) -> RMA:
        return selectors.rma_get_by_number(lookup)

    def action_answer(self, rma: RMA) -> Any:
        return self.detail_data(rma.number)
