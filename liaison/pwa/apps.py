from django.apps import AppConfig


class PwaConfig(AppConfig):
    """The installable web app: manifest, service worker, offline page, what may be kept offline."""

    name = "liaison.pwa"
    label = "pwa"
    verbose_name = "Installable app"
