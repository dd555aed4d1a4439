from django.urls import path

from diagnostics import public

app_name = "programmes"

urlpatterns = [
    path("", public.programme_list, name="list"),
    path("check/", public.programme_check, name="check"),
]
