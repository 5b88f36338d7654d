from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    name = "liaison.reference"
    label = "reference"
    verbose_name = _("Reference library")

    def ready(self) -> None:
        # Registers the permission policies of the reference models.
        from liaison.reference import policies  # noqa: F401
