from django.urls import path

from liaison.exchange.views import (
    alerts,
    attachments,
    checks,
    dashboard,
    exports,
    imports,
    incidents,
    intelligence,
    requests,
    sharing,
)

app_name = "exchange"

urlpatterns = [
    path("", dashboard.dashboard_view, name="dashboard"),
    path("coordination/", dashboard.coordination_view, name="coordination"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/import/", imports.seizure_import, name="seizure_import"),
    path(
        "incidents/import/<int:pk>/",
        imports.seizure_import_progress,
        name="seizure_import_progress",
    ),
    path("incidents/export.<str:fmt>", exports.incident_export, name="incident_export"),
    path("incidents/vrs-msrc.csv", exports.vrs_export, name="vrs_export"),
    path("exports/<int:pk>/", exports.export_detail, name="export_detail"),
    path("exports/<int:pk>/file", exports.export_file, name="export_file"),
    path("identifiers/seen/", checks.identifier_seen, name="identifier_seen"),
    path("identifiers/summary-check/", checks.summary_check, name="summary_check"),
    path("incidents/<str:reference>/", incidents.incident_detail, name="incident"),
    path("incidents/<str:reference>/edit/", incidents.incident_edit, name="incident_edit"),
    path("incidents/<str:reference>/share/", incidents.incident_share, name="incident_share"),
    path("incidents/<str:reference>/pdf/", incidents.incident_pdf, name="incident_pdf"),
    path(
        "incidents/<str:reference>/attachments/",
        attachments.incident_attachments,
        name="incident_attachments",
    ),
    path("intelligence/", intelligence.intelligence_list, name="intelligence_list"),
    path("intelligence/new/", intelligence.intelligence_new, name="intelligence_new"),
    path("intelligence/<str:reference>/", intelligence.intelligence_detail, name="intelligence"),
    path(
        "intelligence/<str:reference>/edit/",
        intelligence.intelligence_edit,
        name="intelligence_edit",
    ),
    path(
        "intelligence/<str:reference>/share/",
        intelligence.intelligence_share,
        name="intelligence_share",
    ),
    path(
        "intelligence/<str:reference>/pdf/", intelligence.intelligence_pdf, name="intelligence_pdf"
    ),
    path(
        "intelligence/<str:reference>/attachments/",
        attachments.intelligence_attachments,
        name="intelligence_attachments",
    ),
    path("sharing-requests/", sharing.share_requests, name="share_requests"),
    path("groups/", sharing.group_list, name="groups"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/new/", alerts.alert_new, name="alert_new"),
    path("alerts/<str:reference>/", alerts.alert_detail, name="alert"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/<str:reference>/", requests.request_detail, name="request"),
    path(
        "requests/<str:reference>/attachments/",
        attachments.request_attachments,
        name="request_attachments",
    ),
    path("attachments/<int:pk>/", attachments.attachment_file, name="attachment"),
    path(
        "attachments/<int:pk>/thumbnail/",
        attachments.attachment_thumbnail,
        name="attachment_thumbnail",
    ),
    path("attachments/<int:pk>/remove/", attachments.attachment_remove, name="attachment_remove"),
]
