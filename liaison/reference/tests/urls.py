"""The project's URLs with the reference library mounted, whether or not the root URLconf has it yet."""

from django.urls import include, path

from liaison.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(p, "namespace", None) == "reference" for p in project_urlpatterns)

urlpatterns = [*project_urlpatterns]
if not _mounted:
    urlpatterns.append(path("reference/", include("liaison.reference.urls")))
