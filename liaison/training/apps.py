from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "liaison.training"
    label = "training"
    verbose_name = _("Training and qualification")

    def ready(self) -> None:
        # Registers the permission policies of the training models.
        from liaison.registry.extensions import register_account_section, register_blo_section
        from liaison.training import policies  # noqa: F401
        from liaison.training.panels import account_section, blo_section

        register_blo_section(blo_section)
        register_account_section(account_section)
