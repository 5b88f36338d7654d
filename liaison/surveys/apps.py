from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "liaison.surveys"
    label = "surveys"
    verbose_name = _("Training needs assessment")

    def ready(self) -> None:
        # Registers the permission policies of the survey models with the one permission layer.
        from liaison.surveys import access  # noqa: F401
