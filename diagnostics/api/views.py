"""The diagnostics API: components and failure patterns by code, diagnoses, root-cause cases, and the
two RMA steps that need a diagnosis (``diagnose`` and ``grant-goodwill``).

Writes go through the same services as the admin; a view only turns codes into rows and calls one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.input import LOOKUP, valid_input
from core.api.permissions import ActionPermission
from core.exceptions import InvalidInput, NotFound
from diagnostics import fault_signals, selectors, services
from diagnostics.api import serializers as s
from diagnostics.api.filters import DiagnosisFilter, FailurePatternFilter, FaultSignalFilter, RootCauseCaseFilter
from diagnostics.models import Component, Diagnosis, FailurePattern, FaultSignal, PatternEvent, RootCauseCase
from rma.api.views import RMAViewSet as ReturnsViewSet
from rma.api.views import lifecycle
from rma.models import ProductModel, Source

CODE_PARAMETER = OpenApiParameter("code", str, OpenApiParameter.PATH)
MANAGE_PATTERN = "diagnostics.manage_pattern"
WORK_ON_CASES = "diagnostics.change_rootcausecase"


def _pattern_or_none(code: str | None) -> FailurePattern | None:
    return services.pattern_get(code) if code and code.strip() else None


def _user(username: str | None, field: str):
    if username is None or not username.strip():
        return None
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise InvalidInput(f"No user is called “{username.strip()}”.", code="unknown_user", field=field)
    return user


def _models(skus: list[str]) -> list[ProductModel]:
    wanted = {sku.strip() for sku in skus if sku.strip()}
    found = list(ProductModel.objects.filter(sku__in=wanted))
    missing = wanted - {model.sku for model in found}
    if missing:
        raise InvalidInput(
            f"Unknown product models: {', '.join(sorted(missing))}.", code="unknown_model", field="affected_models"
        )
    return found


def pattern_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The serializer's pattern fields with codes, usernames and SKUs turned into rows."""
    fields = dict(data)
    if "component" in fields:
        fields["component"] = services.component_get(fields["component"])
    if "owner" in fields:
        fields["owner"] = _user(fields["owner"], "owner")
    if "affected_models" in fields:
        fields["affected_models"] = _models(fields["affected_models"])
    return fields


class RMAViewSet(ReturnsViewSet):
    """Returns by number. Lifecycle steps are POST actions; a step the lifecycle refuses answers 409."""

    action_permissions = {
        **ReturnsViewSet.action_permissions,
        "diagnose": ("rma.process_rma", "diagnostics.add_diagnosis"),
        "grant_goodwill": "rma.approve_goodwill",
    }
    goodwill_suggestion = staticmethod(selectors.goodwill_suggestion)

    @lifecycle(s.DiagnoseSerializer)
    def diagnose(self, request: Request, number: str = "") -> Response:
        """Log a diagnosis (a received return first moves to diagnosing). `pattern` is a pattern code or null."""
        return self.step(request, number, _diagnose, s.DiagnoseSerializer)

    @lifecycle(s.GrantGoodwillSerializer, url_path="grant-goodwill")
    def grant_goodwill(self, request: Request, number: str = "") -> Response:
        """Grant a goodwill replacement (supervisors): the failed unit is kept for analysis and its case opens."""
        return self.step(request, number, services.goodwill_grant, s.GrantGoodwillSerializer)


def _diagnose(*, rma, actor, source: str, component: str, pattern: str | None, **data: Any):
    return services.diagnosis_record(
        rma=rma,
        actor=actor,
        source=source,
        component=services.component_get(component),
        pattern=_pattern_or_none(pattern),
        **data,
    )


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


def pattern_move(name: str, doc: str):
    """A POST action moving the pattern by the lifecycle action ``name`` (``diagnostics.lifecycle``)."""

    def handler(self: FailurePatternViewSet, request: Request, code: str = "") -> Response:
        data = pattern_fields(valid_input(s.PatternMoveSerializer, request))
        services.pattern_transition(
            pattern=self.get_pattern(code), action=name, actor=request.user, source=Source.API, **data
        )
        return Response(self.detail_data(code))

    handler.__name__ = name
    handler.__doc__ = doc
    documented = extend_schema(
        parameters=[CODE_PARAMETER],
        request=s.PatternMoveSerializer,
        responses=s.FailurePatternDetailSerializer,
        description=doc,
    )(handler)
    return action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(documented)


@extend_schema_view(
    retrieve=extend_schema(parameters=[CODE_PARAMETER], responses=s.FailurePatternDetailSerializer),
    create=extend_schema(request=s.PatternCreateSerializer, responses={201: s.FailurePatternDetailSerializer}),
    partial_update=extend_schema(
        parameters=[CODE_PARAMETER], request=s.PatternFieldsSerializer, responses=s.FailurePatternDetailSerializer
    ),
)
class FailurePatternViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Failure patterns by code, with their lifecycle as POST actions (the closed loop, SPEC §6)."""

    serializer_class = s.FailurePatternSerializer
    lookup_field = "code"
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_failurepattern",
        "retrieve": "diagnostics.view_failurepattern",
        "create": "diagnostics.add_failurepattern",
        "partial_update": "diagnostics.change_failurepattern",
        "investigate": MANAGE_PATTERN,
        "root_cause": MANAGE_PATTERN,
        "start_corrective_action": MANAGE_PATTERN,
        "verify": MANAGE_PATTERN,
        "close": MANAGE_PATTERN,
        "dismiss": MANAGE_PATTERN,
        "reopen": MANAGE_PATTERN,
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

    def create(self, request: Request) -> Response:
        data = pattern_fields(valid_input(s.PatternCreateSerializer, request))
        pattern = services.pattern_create(actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(pattern.code), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, code: str = "") -> Response:
        data = pattern_fields(valid_input(s.PatternFieldsSerializer, request))
        services.pattern_edit(pattern=self.get_pattern(code), actor=request.user, source=Source.API, **data)
        return Response(self.detail_data(code))

    investigate = pattern_move("investigate", "Start investigating a new pattern.")
    root_cause = pattern_move("root_cause", "The root cause is found: give `root_cause` (and `public_summary`).")
    start_corrective_action = pattern_move(
        "start_corrective_action", "A corrective action has started: give `corrective_action`."
    )
    verify = pattern_move("verify", "The fix is verified: give its effectivity (`effective_from_lot`, ...).")
    close = pattern_move("close", "Close a verified pattern.")
    dismiss = pattern_move("dismiss", "Close a new or investigated pattern as not a pattern, with a `reason`.")
    reopen = pattern_move("reopen", "Reopen the investigation, with a `reason` (and `samples_wanted`).")


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


def case_step(name: str, serializer_class, doc: str, url_path: str):
    def handler(self: RootCauseCaseViewSet, request: Request, pk: str = "") -> Response:
        data = valid_input(serializer_class, request)
        case = self.get_object()
        self.case_calls[name](case=case, actor=request.user, **data)
        return Response(s.RootCauseCaseSerializer(self.get_queryset().get(pk=case.pk)).data)

    handler.__name__ = name
    handler.__doc__ = doc
    documented = extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        request=serializer_class,
        responses=s.RootCauseCaseSerializer,
        description=doc,
    )(handler)
    return action(detail=True, methods=["post"], url_path=url_path)(documented)


def _assign(*, case: RootCauseCase, actor, engineer: str | None) -> RootCauseCase:
    return services.rca_case_assign(case=case, actor=actor, engineer=_user(engineer, "engineer"))


def _add_findings(*, case: RootCauseCase, actor, text: str) -> RootCauseCase:
    return services.rca_case_add_findings(case=case, actor=actor, text=text)


def _close(*, case: RootCauseCase, actor, conclusion: str, pattern: str | None = None, new_pattern=None):
    if new_pattern is not None:
        new_pattern = pattern_fields(dict(new_pattern))
    return services.rca_case_close(
        case=case,
        actor=actor,
        conclusion=conclusion,
        pattern=_pattern_or_none(pattern),
        new_pattern=new_pattern,
        source=Source.API,
    )


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]))
class RootCauseCaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Root-cause cases, one per unit kept for analysis, oldest first; engineers work them."""

    serializer_class = s.RootCauseCaseSerializer
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_rootcausecase",
        "retrieve": "diagnostics.view_rootcausecase",
        "assign": WORK_ON_CASES,
        "add_findings": WORK_ON_CASES,
        "close": WORK_ON_CASES,
    }
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = RootCauseCaseFilter
    ordering_fields = ["opened_at", "closed_at", "assigned_at"]
    ordering = ["opened_at", "id"]
    case_calls: dict[str, Callable[..., Any]] = {"assign": _assign, "add_findings": _add_findings, "close": _close}

    def get_queryset(self) -> QuerySet[RootCauseCase]:
        return selectors.rca_case_queue(status="")

    assign = case_step("assign", s.CaseAssignSerializer, "Give the case to an engineer (null takes it back).", "assign")
    add_findings = case_step(
        "add_findings", s.CaseFindingsSerializer, "Append a dated, signed entry to the findings.", "add-findings"
    )
    close = case_step(
        "close",
        s.CaseCloseSerializer,
        "Close the case with its conclusion, linking a pattern (`pattern`) or creating one (`new_pattern`).",
        "close",
    )


def signal_step(name: str, serializer_class, doc: str):
    """A POST action on ``fault-signals/{id}/<name>/`` calling the signal's service."""

    def handler(self: FaultSignalViewSet, request: Request, pk: str = "") -> Response:
        data = valid_input(serializer_class, request)
        signal = self.get_object()
        self.signal_calls[name](signal=signal, actor=request.user, **data)
        return Response(s.FaultSignalSerializer(self.get_queryset().get(pk=signal.pk)).data)

    handler.__name__ = name
    handler.__doc__ = doc
    documented = extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        request=serializer_class,
        responses=s.FaultSignalSerializer,
        description=doc,
    )(handler)
    return action(detail=True, methods=["post"])(documented)


def _link(*, signal: FaultSignal, actor, pattern: str, note: str = "") -> FaultSignal:
    return fault_signals.fault_signal_link(
        signal=signal, pattern=services.pattern_get(pattern), actor=actor, note=note, source=Source.API
    )


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]))
class FaultSignalViewSet(viewsets.ReadOnlyModelViewSet):
    """Fault signals raised by the detection scan (SPEC §7); engineers acknowledge, link or dismiss them."""

    serializer_class = s.FaultSignalSerializer
    lookup_value_regex = LOOKUP
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "diagnostics.view_faultsignal",
        "retrieve": "diagnostics.view_faultsignal",
        "acknowledge": fault_signals.MANAGE_SIGNALS,
        "link": fault_signals.MANAGE_SIGNALS,
        "dismiss": fault_signals.MANAGE_SIGNALS,
    }
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = FaultSignalFilter
    ordering_fields = ["first_detected_on", "statistic", "rate_ratio", "observed", "last_updated"]
    ordering = ["-first_detected_on", "-statistic", "id"]
    signal_calls: dict[str, Callable[..., Any]] = {
        "acknowledge": fault_signals.fault_signal_acknowledge,
        "link": _link,
        "dismiss": fault_signals.fault_signal_dismiss,
    }

    def get_queryset(self) -> QuerySet[FaultSignal]:
        return FaultSignal.objects.select_related("product_model", "component", "pattern", "status_changed_by")

    acknowledge = signal_step("acknowledge", s.SignalNoteSerializer, "An engineer is looking into the signal.")
    link = signal_step(
        "link", s.SignalLinkSerializer, "The signal is explained by a failure pattern (`pattern` code, same component)."
    )
    dismiss = signal_step("dismiss", s.SignalDismissSerializer, "Not a fault: say why in `reason`.")


__all__ = [
    "ComponentViewSet",
    "DiagnosisViewSet",
    "FailurePatternViewSet",
    "FaultSignalViewSet",
    "RMAViewSet",
    "RootCauseCaseViewSet",
]
