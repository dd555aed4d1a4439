from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy

from core.health import healthz, readyz
from core.login_limits import admin_login
from core.metrics import metrics

admin.site.site_header = gettext_lazy("Returns and root cause")
admin.site.site_title = gettext_lazy("Returns admin")
admin.site.index_title = gettext_lazy("Repair centre")

# A URL no pattern matches: JSON under /api/ (the API's error format), the usual page elsewhere.
handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/login/", admin_login),  # the admin's own sign-in, with attempts limited
    path("admin/", admin.site.urls),
    path("api/", include("config.api")),
    path("reports/", include("diagnostics.urls")),
    path("programmes/", include("diagnostics.public_urls")),
    path("staff/attachments/", include("diagnostics.downloads")),
    path("", include("rma.urls")),
]

# A bare view for the load benchmark's comparison (benchmarks/load/), only when asked for.
if settings.RMA_BENCHMARK_VIEWS:
    urlpatterns.insert(0, path("", include("config.benchmark_views")))
