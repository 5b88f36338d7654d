from django.urls import path

from liaison.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.network, name="network"),
    path("countries/<str:code>/", views.country_page, name="country"),
    path("blos/new/", views.blo_edit, name="blo_new"),
    path("blos/<str:code>/", views.blo_page, name="blo"),
    path("blos/<str:code>/edit/", views.blo_edit, name="blo_edit"),
    path(
        "blos/<str:code>/counterparts/propose/",
        views.counterpart_propose,
        name="counterpart_propose",
    ),
    path(
        "blos/<str:code>/counterparts/<str:other>/end/",
        views.counterpart_end,
        name="counterpart_end",
    ),
    path(
        "counterpart-proposals/<int:pk>/<str:answer>/",
        views.counterpart_answer,
        name="counterpart_answer",
    ),
    path("blos/<str:blo_code>/crossings/new/", views.crossing_edit, name="crossing_new"),
    path("crossings/<str:code>/edit/", views.crossing_edit, name="crossing_edit"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_edit, name="user_new"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password-reset/", views.password_reset_issue, name="password_reset"),
    path("security/", views.security, name="security"),
    path("import/", views.registry_import, name="import"),
    path("export.xlsx", views.registry_export, name="export"),
    path("export/<str:table>.csv", views.registry_export, name="export_csv"),
]
