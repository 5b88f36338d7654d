from django.urls import path

from liaison.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("coordination/", views.coordination_view, name="coordination"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/import/", views.seizure_import, name="seizure_import"),
    path(
        "incidents/import/<int:pk>/",
        views.seizure_import_progress,
        name="seizure_import_progress",
    ),
    path("incidents/export.<str:fmt>", views.incident_export, name="incident_export"),
    path("incidents/vrs-msrc.csv", views.vrs_export, name="vrs_export"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/file", views.export_file, name="export_file"),
    path("identifiers/seen/", views.identifier_seen, name="identifier_seen"),
    path("identifiers/summary-check/", views.summary_check, name="summary_check"),
    path("incidents/<str:reference>/", views.incident_detail, name="incident"),
    path("incidents/<str:reference>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<str:reference>/share/", views.incident_share, name="incident_share"),
    path("incidents/<str:reference>/pdf/", views.incident_pdf, name="incident_pdf"),
    path(
        "incidents/<str:reference>/attachments/",
        views.incident_attachments,
        name="incident_attachments",
    ),
    path("intelligence/", views.intelligence_list, name="intelligence_list"),
    path("intelligence/new/", views.intelligence_new, name="intelligence_new"),
    path("intelligence/<str:reference>/", views.intelligence_detail, name="intelligence"),
    path("intelligence/<str:reference>/edit/", views.intelligence_edit, name="intelligence_edit"),
    path(
        "intelligence/<str:reference>/share/", views.intelligence_share, name="intelligence_share"
    ),
    path("intelligence/<str:reference>/pdf/", views.intelligence_pdf, name="intelligence_pdf"),
    path(
        "intelligence/<str:reference>/attachments/",
        views.intelligence_attachments,
        name="intelligence_attachments",
    ),
    path("sharing-requests/", views.share_requests, name="share_requests"),
    path("groups/", views.group_list, name="groups"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/new/", views.alert_new, name="alert_new"),
    path("alerts/<str:reference>/", views.alert_detail, name="alert"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<str:reference>/", views.request_detail, name="request"),
    path(
        "requests/<str:reference>/attachments/",
        views.request_attachments,
        name="request_attachments",
    ),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path(
        "attachments/<int:pk>/thumbnail/", views.attachment_thumbnail, name="attachment_thumbnail"
    ),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
]
