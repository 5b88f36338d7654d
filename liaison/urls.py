from django.urls import include, path

from liaison.api import api
from liaison.exchange.views import pickers as exchange_pickers
from liaison.operations import health
from liaison.registry import views as registry_views

urlpatterns = [
    path("", registry_views.home, name="home"),
    path("login/", registry_views.LoginView.as_view(), name="login"),
    path("logout/", registry_views.logout_view, name="logout"),
    path("account/", registry_views.account, name="account"),
    path("account/two-factor/", registry_views.two_factor, name="two_factor"),
    path("account/password/", registry_views.password_change, name="password_change"),
    path(
        "account/reset/<str:token>/", registry_views.password_reset_use, name="password_reset_use"
    ),
    path("i18n/setlang/", registry_views.set_language, name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("registry/", include("liaison.registry.urls")),
    # The incident form's pickers read the commodities and countries (no record) here, among the
    # reference pages a tablet may keep for offline use; the exchange decides who may read it.
    path("reference/commodities/", exchange_pickers.commodities, name="commodities"),
    path("reference/countries/", exchange_pickers.countries, name="countries"),
    path("reference/", include("liaison.reference.urls")),
    path("exchange/", include("liaison.exchange.urls")),
    path("surveys/", include("liaison.surveys.urls")),
    path("training/", include("liaison.training.urls")),
    path("meetings/", include("liaison.meetings.urls")),
    path("audit/", include("liaison.audit.urls")),
    path("notifications/", include("liaison.notifications.urls")),
    path("api/", api.urls),
    # the service worker, manifest and offline page live at the root (the worker's scope)
    path("", include("liaison.pwa.urls")),
]

# A full disk and an unreachable database get pages that say so (507, 503), whichever view or
# middleware met them; anything else gets the plain 500 page.
handler500 = "liaison.operations.faults.server_error"
