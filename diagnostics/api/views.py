"""The diagnostics API: components and failure patterns by code, diagnoses, root-cause cases and fault
signals. Their lifecycle routes, and the RMA's ``diagnose`` and ``grant-goodwill``, come from the action
registry (``diagnostics.actions``, ``core.api.actions``).

Writes go through the same services as the admin; a view only turns codes into rows and calls one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.actions import ActionRoutesMixin
from core.api.idempotency import idempotent
from core.api.input import LOOKUP, valid_input
from core.api.permissions import ActionPermission
from core.exceptions import InvalidInput, NotFound
from diagnostics import programmes, selectors, services
from diagnostics.api import serializers as s
from diagnostics.api.filters import DiagnosisFilter, FailurePatternFilter, FaultSignalFilter, RootCauseCaseFilter
from diagnostics.api.inputs import pattern_fields, programme_fields
from diagnostics.models import (
    Component,
    Diagnosis,
    FailurePattern,
    FaultSignal,
    PatternEvent,
    Programme,
    RootCauseCase,
)
from rma.models import Source

CODE_PARAMETER = OpenApiParameter("code", str, OpenApiParameter.PATH)
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)
MANAGE_PATTERN = "diagnostics.manage_pattern"
WORK_ON_CASES = "diagnostics.change_rootcausecase"


@extend_schema_view(
    retrieve=extend_schema(parameters=[CODE_PARAMETER]),
    create=extend_schema(request=s.ComponentCreateSerializer, responses={201: s.ComponentSerializer}),
    partial_update=extend_schema(
        parameters=[CODE_PARAMETER], request=s.ComponentRenameSerializer, responses=s.ComponentSerializer
    ),
)
class ComponentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Components by code. Engineers create them and rename them; the code never changes."""

    serializer_class = s.ComponentSerializer
    lookup_field = "code"
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_component",
        "retrieve": "diagnostics.view_component",
        "create": "diagnostics.add_component",
        "partial_update": "diagnostics.change_component",
    }
    filter_backends = [OrderingFilter]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def get_queryset(self) -> QuerySet[Component]:
        return Component.objects.all()

    def retrieve(self, request: Request, code: str = "") -> Response:
        return Response(s.ComponentSerializer(self._get(code)).data)

    @idempotent
    def create(self, request: Request) -> Response:
        data = valid_input(s.ComponentCreateSerializer, request)
        component = services.component_create(code=data["code"], name=data["name"], actor=request.user)
        return Response(s.ComponentSerializer(component).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, code: str = "") -> Response:
        data = valid_input(s.ComponentRenameSerializer, request)
        component = services.component_rename(component=self._get(code), name=data["name"], actor=request.user)
        return Response(s.ComponentSerializer(component).data)

    def _get(self, code: str) -> Component:
        component = Component.objects.filter(code=code.strip().lower()).first()
        if component is None:
            raise NotFound(f"No component has code {code.strip()}.", code="unknown_component")
        return component


@extend_schema_view(
    retrieve=extend_schema(parameters=[CODE_PARAMETER], responses=s.FailurePatternDetailSerializer),
    create=extend_schema(request=s.PatternCreateSerializer, responses={201: s.FailurePatternDetailSerializer}),
    partial_update=extend_schema(
        parameters=[CODE_PARAMETER], request=s.PatternFieldsSerializer, responses=s.FailurePatternDetailSerializer
    ),
)
class FailurePatternViewSet(
    ActionRoutesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Failure patterns by code, with their lifecycle as POST actions (the closed loop, SPEC §6)."""

    action_kind = "pattern"
    action_response = s.FailurePatternDetailSerializer
    action_parameter = CODE_PARAMETER

    serializer_class = s.FailurePatternSerializer
    lookup_field = "code"
    sync_field = "updated_at"  # ?updated_since and ?cursor (core.api.pagination)
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_failurepattern",
        "retrieve": "diagnostics.view_failurepattern",
        "create": "diagnostics.add_failurepattern",
        "partial_update": "diagnostics.change_failurepattern",
    }
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = FailurePatternFilter
    ordering_fields = ["code", "status", "status_changed_at", "updated_at", "created_at", "samples_wanted"]
    ordering = ["code"]

    def get_queryset(self) -> QuerySet[FailurePattern]:
        return FailurePattern.objects.select_related("component", "owner").prefetch_related("affected_models")

    def get_pattern(self, code: str) -> FailurePattern:
        pattern = FailurePattern.objects.filter(code=code.strip().upper()).first()
        if pattern is None:
            raise NotFound(f"No failure pattern has code {code.strip()}.", code="unknown_pattern")
        return pattern

    def detail_data(self, code: str) -> Any:
        events = PatternEvent.objects.select_related("actor").order_by("created_at", "id")
        pattern = (
            self.get_queryset().prefetch_related(Prefetch("events", queryset=events)).get(pk=self.get_pattern(code).pk)
        )
        return s.FailurePatternDetailSerializer(pattern).data

    def retrieve(self, request: Request, code: str = "") -> Response:
        return Response(self.detail_data(code))

    @idempotent
    def create(self, request: Request) -> Response:
        data = pattern_fields(valid_input(s.PatternCreateSerializer, request))
        pattern = services.pattern_create(actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(pattern.code), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, code: str = "") -> Response:
        data = pattern_fields(valid_input(s.PatternFieldsSerializer, request))
        services.pattern_edit(pattern=self.get_pattern(code), actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(code))

    def action_object(self, lookup: str) -> FailurePattern:
        return self.get_pattern(lookup)

    def action_answer(self, pattern: FailurePattern) -> Any:
        return self.detail_data(pattern.code)


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]))
class DiagnosisViewSet(viewsets.ReadOnlyModelViewSet):
    """Diagnoses as technicians logged them (log one with `POST rmas/{number}/diagnose/`)."""

    serializer_class = s.DiagnosisSerializer
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {"list": "diagnostics.view_diagnosis", "retrieve": "diagnostics.view_diagnosis"}
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = DiagnosisFilter
    ordering_fields = ["created_at", "minutes_spent", "outcome"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Diagnosis]:
        return Diagnosis.objects.select_related(
            "rma__device__product_model", "component", "pattern", "technician"
        ).order_by("-created_at", "-id")


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]))
class RootCauseCaseViewSet(ActionRoutesMixin, viewsets.ReadOnlyModelViewSet):
    """Root-cause cases, one per unit kept for analysis, oldest first; engineers work them."""

    action_kind = "case"
    action_response = s.RootCauseCaseSerializer
    action_parameter = ID_PARAMETER

    serializer_class = s.RootCauseCaseSerializer
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_rootcausecase",
        "retrieve": "diagnostics.view_rootcausecase",
    }
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = RootCauseCaseFilter
    ordering_fields = ["opened_at", "closed_at", "assigned_at"]
    ordering = ["opened_at", "id"]

    def get_queryset(self) -> QuerySet[RootCauseCase]:
        return selectors.rca_case_queue(status="")

    def action_object(self, lookup: str) -> RootCauseCase:
        return get_object_or_404(self.get_queryset(), pk=lookup)

    def action_answer(self, case: RootCauseCase) -> Any:
        return s.RootCauseCaseSerializer(self.get_queryset().get(pk=case.pk)).data


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]))
class FaultSignalViewSet(ActionRoutesMixin, viewsets.ReadOnlyModelViewSet):
    """Fault signals raised by the detection scan (SPEC §7); engineers acknowledge, link or dismiss them."""

    action_kind = "signal"
    action_response = s.FaultSignalSerializer
    action_parameter = ID_PARAMETER

    serializer_class = s.FaultSignalSerializer
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_faultsignal",
        "retrieve": "diagnostics.view_faultsignal",
        "failures": "diagnostics.view_faultsignal",
    }
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = FaultSignalFilter
    ordering_fields = ["first_detected_on", "statistic", "rate_ratio", "observed", "last_updated"]
    ordering = ["-first_detected_on", "-statistic", "id"]

    def get_queryset(self) -> QuerySet[FaultSignal]:
        return FaultSignal.objects.select_related(
            "product_model", "component", "pattern", "status_changed_by", "family__product_model", "family__component"
        )

    def action_object(self, lookup: str) -> FaultSignal:
        return get_object_or_404(self.get_queryset(), pk=lookup)

    def action_answer(self, signal: FaultSignal) -> Any:
        return s.FaultSignalSerializer(self.get_queryset().get(pk=signal.pk)).data

    @extend_schema(parameters=[ID_PARAMETER], responses=s.SignalFailureSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], ordering=None)
    def failures(self, request: Request, pk: str | None = None) -> Response:
        """The units and returns behind the signal (drill-down): the confirmed failures it counts, earliest first."""
        signal = get_object_or_404(self.get_queryset(), pk=pk)
        page = self.paginate_queryset(selectors.signal_failures(signal))
        return self.get_paginated_response(s.SignalFailureSerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(parameters=[CODE_PARAMETER]),
    create=extend_schema(request=s.ProgrammeCreateSerializer, responses={201: s.ProgrammeSerializer}),
    partial_update=extend_schema(
        parameters=[CODE_PARAMETER], request=s.ProgrammeFieldsSerializer, responses=s.ProgrammeSerializer
    ),
)
class ProgrammeViewSet(
    ActionRoutesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Service programmes by code (SPEC §11): engineers create them, edit drafts, activate and close them."""

    action_kind = "programme"
    action_response = s.ProgrammeSerializer
    action_parameter = CODE_PARAMETER

    serializer_class = s.ProgrammeSerializer
    lookup_field = "code"
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_programme",
        "retrieve": "diagnostics.view_programme",
        "create": "diagnostics.add_programme",
        "partial_update": "diagnostics.change_programme",
        "eligibility": "diagnostics.view_programme",
        "progress": "diagnostics.view_programme",
    }
    filter_backends = [OrderingFilter]
    ordering_fields = ["code", "status", "created_at", "activated_at"]
    ordering = ["code"]

    def get_queryset(self) -> QuerySet[Programme]:
        return Programme.objects.select_related("pattern__component", "owner").prefetch_related("product_models")

    def _answer(self, code: str) -> Any:
        return s.ProgrammeSerializer(self.get_queryset().get(pk=programmes.programme_get(code).pk)).data

    def retrieve(self, request: Request, code: str = "") -> Response:
        return Response(self._answer(code))

    def create(self, request: Request) -> Response:
        data = programme_fields(valid_input(s.ProgrammeCreateSerializer, request))
        programme = programmes.programme_create(actor=request.user, **data)
        return Response(self._answer(programme.code), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, code: str = "") -> Response:
        data = programme_fields(valid_input(s.ProgrammeFieldsSerializer, request))
        programmes.programme_update(programme=programmes.programme_get(code), actor=request.user, **data)
        return Response(self._answer(code))

    @extend_schema(
        parameters=[OpenApiParameter("serial", str, OpenApiParameter.QUERY, required=True)],
        responses=s.EligibilitySerializer,
    )
    @action(detail=False, methods=["get"])
    def eligibility(self, request: Request) -> Response:
        """Which active programmes cover a unit, and until when."""
        serial = request.query_params.get("serial", "")
        if not serial.strip():
            raise InvalidInput("Give the unit's serial number: ?serial=...", code="serial_required", field="serial")
        serial, found = programmes.eligibility_by_serial(serial)
        return Response(
            {
                "serial_number": serial,
                "programmes": [
                    {
                        "code": item.programme.code,
                        "title": item.programme.title,
                        "covered_until": item.covered_until,
                        "remedy": item.programme.remedy,
                    }
                    for item in found
                ],
            }
        )

    @extend_schema(parameters=[CODE_PARAMETER], responses=s.ProgrammeProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, code: str = "") -> Response:
        """Eligible units in service, owners notified, returns opened, remedied, reimbursed, cost, completion."""
        return Response(programmes.programme_progress(programmes.programme_get(code)))

    def action_object(self, lookup: str) -> Programme:
        return programmes.programme_get(lookup)

    def action_answer(self, programme: Programme) -> Any:
        return self._answer(programme.code)


__all__ = [
    "ComponentViewSet",
    "DiagnosisViewSet",
    "FailurePatternViewSet",
    "FaultSignalViewSet",
    "ProgrammeViewSet",
    "RootCauseCaseViewSet",
]
