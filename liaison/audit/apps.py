from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "liaison.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from liaison.audit.checks import audit_keys_present

        checks.register(audit_keys_present)
