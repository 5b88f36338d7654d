from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "liaison.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from liaison.notifications import panels
        from liaison.registry.extensions import register_account_section

        register_account_section(panels.account_section)
