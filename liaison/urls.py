from django.urls import include, path

from liaison.api import api
from liaison.registry import views as registry_views

urlpatterns = [
    path("", registry_views.home, name="home"),
    path("login/", registry_views.LoginView.as_view(), name="login"),
    path("logout/", registry_views.logout_view, name="logout"),
    path("account/", registry_views.account, name="account"),
    path("account/two-factor/", registry_views.two_factor, name="two_factor"),
    path("i18n/setlang/", registry_views.set_language, name="set_language"),
    path("healthz", registry_views.healthz, name="healthz"),
    path("registry/", include("liaison.registry.urls")),
    path("reference/", include("liaison.reference.urls")),
    path("exchange/", include("liaison.exchange.urls")),
    path("surveys/", include("liaison.surveys.urls")),
    path("training/", include("liaison.training.urls")),
    path("meetings/", include("liaison.meetings.urls")),
    path("audit/", include("liaison.audit.urls")),
    path("api/", api.urls),
]
