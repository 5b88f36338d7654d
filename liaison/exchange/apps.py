from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "liaison.exchange"
    label = "exchange"
    verbose_name = _("Information exchange")

    def ready(self) -> None:
        # Registers the exchange's permission policies with the one permission layer.
        from liaison.exchange import access  # noqa: F401
        from liaison.exchange.panels import blo_section, home_card
        from liaison.registry.extensions import register_blo_section, register_home_card

        register_home_card(home_card)
        register_blo_section(blo_section)
