from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "liaison.exchange"
    label = "exchange"
    verbose_name = _("Information exchange")

    def ready(self) -> None:
        # Registers the exchange's permission policies with the one permission layer.
        from liaison.exchange import access  # noqa: F401
