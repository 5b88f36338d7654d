import django_stubs_ext
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Lets Django's generic classes be subscripted at run time (ModelForm[BLO], QuerySet[User]).
# Here, not in the settings: Django imports every app's configuration before any model or form,
# and a command that reads files only (``liaison survey analyze``) loads the settings without
# the apps, so it does not pay the quarter-second of the imports this patch makes.
django_stubs_ext.monkeypatch()


class RegistryConfig(AppConfig):
    name = "liaison.registry"
    label = "registry"
    verbose_name = _("Network registry")
