"""The REST API's routes (``/api/v1/``), its token endpoint, and the OpenAPI schema with its docs."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from core.api.auth import TokenListView, TokenRevokeView, TokenView
from core.api.webhooks import WebhookEndpointViewSet
from diagnostics.api.reports import REPORT_VIEWS
from diagnostics.api.views import (
    ComponentViewSet,
    DiagnosisViewSet,
    FailurePatternViewSet,
    FaultSignalViewSet,
    ProgrammeViewSet,
    RootCauseCaseViewSet,
)
from rma.api.views import DeviceViewSet, RMAViewSet

router = SimpleRouter(trailing_slash=True)
router.register("devices", DeviceViewSet, basename="device")
router.register("rmas", RMAViewSet, basename="rma")
router.register("diagnoses", DiagnosisViewSet, basename="diagnosis")
router.register("failure-patterns", FailurePatternViewSet, basename="failure-pattern")
router.register("rca-cases", RootCauseCaseViewSet, basename="rca-case")
router.register("fault-signals", FaultSignalViewSet, basename="fault-signal")
router.register("components", ComponentViewSet, basename="component")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

v1 = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", TokenListView.as_view(), name="token-list"),
    path("auth/tokens/<int:id>/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
    *router.urls,
    *[path(f"reports/{name}/", view.as_view(), name=f"report-{name}") for name, (view, _) in REPORT_VIEWS.items()],
    *[path(f"reports/{name}.csv", csv.as_view(), name=f"report-{name}-csv") for name, (_, csv) in REPORT_VIEWS.items()],
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
