"""A bare view for load comparisons (benchmarks/load/): one indexed lookup through the full middleware stack.

Mounted only when ``RMA_BENCHMARK_VIEWS`` is set; never in a real deployment.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from rma.models import Device


def bare_lookup(request: HttpRequest, serial: str) -> HttpResponse:
    found = Device.objects.filter(serial_number=serial).values_list("pk", flat=True).first()
    return HttpResponse(f"{serial}: {found}\n", content_type="text/plain")


urlpatterns = [path("bench/bare/<str:serial>/", bare_lookup)]
