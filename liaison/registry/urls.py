from django.urls import path

from liaison.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.network, name="network"),
    path("countries/<str:code>/", views.country_page, name="country"),
    path("blos/new/", views.blo_edit, name="blo_new"),
    path("blos/<str:code>/", views.blo_page, name="blo"),
    path("blos/<str:code>/edit/", views.blo_edit, name="blo_edit"),
    path("blos/<str:blo_code>/crossings/new/", views.crossing_edit, name="crossing_new"),
    path("crossings/<str:code>/edit/", views.crossing_edit, name="crossing_edit"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_edit, name="user_new"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("security/", views.security, name="security"),
    path("import/", views.registry_import, name="import"),
    path("export.xlsx", views.registry_export, name="export"),
    path("export/<str:table>.csv", views.registry_export, name="export_csv"),
]
