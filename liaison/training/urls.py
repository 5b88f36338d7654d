from django.urls import path

from liaison.training.views import (
    catalogue,
    certificates,
    coverage,
    imports,
    officers,
    plans,
    quizzes,
    sessions,
)

app_name = "training"

urlpatterns = [
    path("", catalogue.home, name="home"),
    path("modules/<slug:code>/", catalogue.module_detail, name="module"),
    path("modules/<slug:code>/enrol/", catalogue.enrol, name="enrol"),
    path("modules/<slug:code>/assign/", catalogue.assign, name="assign"),
    path("modules/<slug:code>/pages/<int:number>/", catalogue.page, name="page"),
    path("modules/<slug:code>/assets/<str:name>", catalogue.asset, name="asset"),
    path("modules/<slug:code>/quiz/", quizzes.quiz_start, name="quiz_start"),
    path("attempts/<int:pk>/", quizzes.attempt_view, name="attempt"),
    path("me/", officers.me, name="me"),
    path("officers/<int:pk>/", officers.officer_record, name="officer"),
    path("officers/<int:pk>/move/", officers.officer_move, name="officer_move"),
    path("qualifications/", certificates.qualifications, name="qualifications"),
    path("certificates/", certificates.certificates, name="certificates"),
    path("certificates/<str:code>/", certificates.certificate_detail, name="certificate"),
    path("certificates/<str:code>/pdf/", certificates.certificate_pdf, name="certificate_pdf"),
    path("completions/<str:code>/", certificates.module_certificate, name="module_certificate"),
    path(
        "completions/<str:code>/pdf/",
        certificates.module_certificate_pdf,
        name="module_certificate_pdf",
    ),
    # Public, no sign-in: anyone holding a certificate's code checks it here.
    path("verify/", certificates.verify, name="verify_form"),
    path("verify/<str:code>/", certificates.verify, name="verify"),
    path("sessions/", sessions.sessions, name="sessions"),
    path("sessions/new/", sessions.session_edit, name="session_new"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", sessions.session_edit, name="session_edit"),
    path("coverage/", coverage.coverage, name="coverage"),
    path("coverage/<str:code>/", coverage.coverage_blo, name="coverage_blo"),
    path("usage/", coverage.usage, name="usage"),
    path("plans/", plans.plans, name="plans"),
    path("plans/new/", plans.plan_new, name="plan_new"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan"),
    path("import/", imports.content_import, name="import"),
]
