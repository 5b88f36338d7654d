from django.urls import path

from liaison.pwa import views

app_name = "pwa"

# Included at the root of the site: a service worker controls only the paths below its own.
urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline, name="offline"),
    path("offline/<str:language>/", views.offline, name="offline_language"),
]
