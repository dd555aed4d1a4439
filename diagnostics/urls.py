from django.urls import path

from diagnostics import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("programmes/", views.programme_index, name="programmes"),
    path("programmes/<str:code>/", views.programme_progress_page, name="programme_progress"),
    *[
        path(f"{page.name}/", views.report_page, {"name": page.name}, name=page.url_name)
        for page in views.PAGES.values()
    ],
]
