"""The returns API: devices by serial, RMAs by number with one POST action per lifecycle step.

Each action's only logic is the service call (the same services the admin uses); the answer is the
RMA as ``rmas/{number}/`` shows it. Diagnosis and goodwill, which need the diagnostics app, are added
by ``diagnostics.api.views.RMAViewSet``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.input import LOOKUP, valid_input
from core.api.permissions import ActionPermission
from core.exceptions import InvalidInput
from rma import policy, selectors, services
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


def lifecycle(request_serializer: type[serializers.Serializer] | None = None, *, url_path: str | None = None):
    """``@action`` for a POST lifecycle step on ``rmas/{number}/<step>/``, answering with the RMA."""

    def decorate(method):
        documented = extend_schema(
            parameters=[NUMBER_PARAMETER],
            request=request_serializer,
            responses=s.RMADetailSerializer,
            description=method.__doc__,
        )(method)
        return action(detail=True, methods=["post"], url_path=url_path or method.__name__.replace("_", "-"))(documented)

    return decorate


@extend_schema_view(
    retrieve=extend_schema(parameters=[NUMBER_PARAMETER]),
    create=extend_schema(request=s.RMACreateSerializer, responses={201: s.RMADetailSerializer}),
)
class RMAViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Returns by number. Lifecycle steps are POST actions; a step the lifecycle refuses answers 409."""

    serializer_class = s.RMASerializer
    lookup_field = "number"
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions: dict[str, str | tuple[str, ...]] = {
        "list": "rma.view_rma",
        "retrieve": "rma.view_rma",
        "create": "rma.add_rma",
        "authorize": PROCESS,
        "reject": "rma.reject_rma",
        "cancel": PROCESS,
        "receive": PROCESS,
        "quote": PROCESS,
        "accept_quote": "rma.approve_quote",
        "decline_quote": "rma.approve_quote",
        "repair": PROCESS,
        "replace": PROCESS,
        "ship": PROCESS,
        "close": PROCESS,
        "refund": "rma.approve_refund",
    }
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

    def create(self, request: Request) -> Response:
        data = valid_input(s.RMACreateSerializer, request)
        rma = services.rma_create(actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(rma.number), status=status.HTTP_201_CREATED)

    def detail_object(self, number: str) -> RMA:
        rma = selectors.rma_get_by_number(number)
        events = RMAEvent.objects.select_related("actor").order_by("created_at", "id")
        return (
            selectors.rma_list()
            .select_related("repeat_of")
            .prefetch_related(Prefetch("events", queryset=events))
            .get(pk=rma.pk)
        )

    # Whether goodwill could be granted depends on the diagnosis: the app that owns diagnoses passes it in.
    goodwill_suggestion: Callable[[RMA], policy.Decision] | None = None

    def detail_data(self, number: str) -> Any:
        rma = self.detail_object(number)
        suggest = type(self).goodwill_suggestion
        goodwill = suggest(rma) if suggest is not None and not rma.is_final else None
        return s.RMADetailSerializer(rma, context={"request": self.request, "goodwill": goodwill}).data

    def step(
        self,
        request: Request,
        number: str,
        call: Callable[..., Any],
        serializer_class: type[serializers.Serializer] | None = None,
    ) -> Response:
        """Check the input's shape, call the service on the RMA as this user, answer with the RMA."""
        data = valid_input(serializer_class, request) if serializer_class else {}
        rma = selectors.rma_get_by_number(number)
        call(rma=rma, actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(rma.number))

    @lifecycle(s.AuthorizeSerializer)
    def authorize(self, request: Request, number: str = "") -> Response:
        """Approve the return (submitted → authorized); `instructions` are added to the customer's e-mail."""
        return self.step(request, number, services.rma_authorize, s.AuthorizeSerializer)

    @lifecycle(s.ReasonSerializer)
    def reject(self, request: Request, number: str = "") -> Response:
        """Refuse the return with a reason the customer reads (supervisors)."""
        return self.step(request, number, services.rma_reject, s.ReasonSerializer)

    @lifecycle(s.OptionalReasonSerializer)
    def cancel(self, request: Request, number: str = "") -> Response:
        """Cancel a return that has not arrived yet."""
        return self.step(request, number, services.rma_cancel, s.OptionalReasonSerializer)

    @lifecycle(s.ReceiveSerializer)
    def receive(self, request: Request, number: str = "") -> Response:
        """The unit has arrived (authorized → received); the repair centre now holds it."""
        return self.step(request, number, services.rma_receive, s.ReceiveSerializer)

    @lifecycle(s.QuoteSerializer)
    def quote(self, request: Request, number: str = "") -> Response:
        """Quote a paid repair for a unit out of warranty (→ awaiting_customer)."""
        return self.step(request, number, services.rma_quote, s.QuoteSerializer)

    @lifecycle(s.QuoteAnswerSerializer, url_path="accept-quote")
    def accept_quote(self, request: Request, number: str = "") -> Response:
        """Record that the customer accepted the quote, and how (→ repairing, coverage paid; supervisors)."""
        return self.step(request, number, services.rma_accept_quote, s.QuoteAnswerSerializer)

    @lifecycle(s.QuoteAnswerSerializer, url_path="decline-quote")
    def decline_quote(self, request: Request, number: str = "") -> Response:
        """Record that the customer declined the quote, and how: the unit goes back unrepaired (supervisors)."""
        return self.step(request, number, services.rma_decline_quote, s.QuoteAnswerSerializer)

    @lifecycle()
    def repair(self, request: Request, number: str = "") -> Response:
        """Start a repair covered by warranty (diagnosing → repairing)."""
        return self.step(request, number, services.rma_repair)

    @lifecycle(s.ReplaceSerializer)
    def replace(self, request: Request, number: str = "") -> Response:
        """Replace the unit (→ replacing) with `replacement_serial` from stock, or a new unit of the same model."""
        return self.step(request, number, services.rma_replace, s.ReplaceSerializer)

    @lifecycle(s.ShipSerializer)
    def ship(self, request: Request, number: str = "") -> Response:
        """Ship the repaired, unrepaired or replacement unit with its tracking number (→ shipped)."""
        return self.step(request, number, services.rma_ship, s.ShipSerializer)

    @lifecycle(s.CloseSerializer)
    def close(self, request: Request, number: str = "") -> Response:
        """Close a shipped return; the resolution follows from what happened (409 resolution_mismatch otherwise)."""
        return self.step(request, number, services.rma_close, s.CloseSerializer)

    @lifecycle(s.RefundSerializer)
    def refund(self, request: Request, number: str = "") -> Response:
        """Refund the customer and close the return; the failed unit stays with us (supervisors)."""
        return self.step(request, number, services.rma_refund, s.RefundSerializer)
