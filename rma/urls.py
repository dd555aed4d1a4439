from django.urls import path

from rma import views

app_name = "rma"

urlpatterns = [
    path("", views.home, name="home"),
    path("returns/new/", views.return_new, name="start"),
    path("returns/status/", views.return_status, name="lookup"),
    path("returns/track/<str:token>/", views.return_track, name="track"),
    path("language/", views.language_choose, name="language"),
]
