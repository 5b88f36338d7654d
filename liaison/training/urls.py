from django.urls import path

from liaison.training import views

app_name = "training"

urlpatterns = [
    path("", views.home, name="home"),
    path("modules/<slug:code>/", views.module_detail, name="module"),
    path("modules/<slug:code>/enrol/", views.enrol, name="enrol"),
    path("modules/<slug:code>/assign/", views.assign, name="assign"),
    path("modules/<slug:code>/pages/<int:number>/", views.page, name="page"),
    path("modules/<slug:code>/assets/<str:name>", views.asset, name="asset"),
    path("modules/<slug:code>/quiz/", views.quiz_start, name="quiz_start"),
    path("attempts/<int:pk>/", views.attempt_view, name="attempt"),
    path("me/", views.me, name="me"),
    path("officers/<int:pk>/", views.officer_record, name="officer"),
    path("officers/<int:pk>/move/", views.officer_move, name="officer_move"),
    path("qualifications/", views.qualifications, name="qualifications"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<str:code>/", views.certificate_detail, name="certificate"),
    path("certificates/<str:code>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("completions/<str:code>/", views.module_certificate, name="module_certificate"),
    path(
        "completions/<str:code>/pdf/", views.module_certificate_pdf, name="module_certificate_pdf"
    ),
    # Public, no sign-in: anyone holding a certificate's code checks it here.
    path("verify/", views.verify, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/new/", views.session_edit, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/<str:code>/", views.coverage_blo, name="coverage_blo"),
    path("usage/", views.usage, name="usage"),
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("import/", views.content_import, name="import"),
]
