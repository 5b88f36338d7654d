from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "liaison.meetings"
    label = "meetings"
    verbose_name = _("BLO meetings")

    def ready(self) -> None:
        # Registers the permission policies of the meeting log.
        from liaison.meetings import policies  # noqa: F401
