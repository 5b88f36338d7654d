from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "liaison.exchange"
    label = "exchange"
    verbose_name = _("Information exchange")

    def ready(self) -> None:
        # Registers the exchange's permission policies with the one permission layer.
        from django.db.models.signals import post_delete

        from liaison.exchange import access  # noqa: F401
        from liaison.exchange.attachments import delete_files_of_removed_attachment
        from liaison.exchange.models import Attachment
        from liaison.exchange.panels import blo_section, home_card
        from liaison.registry.extensions import register_blo_section, register_home_card

        register_home_card(home_card)
        register_blo_section(blo_section)
        # An attachment's files follow its row, also when a record's deletion cascades to it.
        post_delete.connect(
            delete_files_of_removed_attachment,
            sender=Attachment,
            dispatch_uid="exchange.attachment_files",
        )
