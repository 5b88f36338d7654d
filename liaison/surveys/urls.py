from django.urls import path

from liaison.surveys import odk_views, qa_views, views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/<int:pk>/", views.questionnaire, name="questionnaire"),
    path("questionnaires/<int:pk>/file/", views.questionnaire_file, name="questionnaire_file"),
    path("questionnaires/<int:pk>/media/", views.questionnaire_media, name="questionnaire_media"),
    path(
        "questionnaires/<int:pk>/media/<str:name>",
        views.questionnaire_media_file,
        name="questionnaire_media_file",
    ),
    path("questionnaires/<int:pk>/new-round/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/fill/", views.fill, name="fill"),
    path("rounds/<int:pk>/fill/odk/", odk_views.fill_odk, name="fill_odk"),
    path("rounds/<int:pk>/xform.xml", odk_views.round_xform, name="round_xform"),
    path("rounds/<int:pk>/media/", odk_views.round_media, {"name": ""}, name="round_media_root"),
    path("rounds/<int:pk>/media/<str:name>", odk_views.round_media, name="round_media"),
    path("rounds/<int:pk>/submission/", odk_views.submit_odk, name="submit_odk"),
    path("rounds/<int:pk>/import/", views.import_export, name="import"),
    path("rounds/<int:pk>/results/", views.results, name="results"),
    path("rounds/<int:pk>/report.<str:fmt>", views.report, name="report"),
    path("rounds/<int:pk>/reports/", views.report_drawing_new, name="report_drawing_new"),
    path(
        "rounds/<int:pk>/reports/<int:drawing_pk>/",
        views.report_drawing,
        name="report_drawing",
    ),
    path(
        "rounds/<int:pk>/reports/<int:drawing_pk>/report.pdf",
        views.report_drawing_pdf,
        name="report_drawing_pdf",
    ),
    path("rounds/<int:pk>/qa/", qa_views.qa_round, name="qa_round"),
    path("rounds/<int:pk>/qa/guide/", qa_views.qa_guide_add, name="qa_guide_add"),
    path("rounds/<int:pk>/qa/sessions/new/", qa_views.qa_session_new, name="qa_session_new"),
    path("rounds/<int:pk>/qa/codes/", qa_views.qa_code_add, name="qa_code_add"),
    path("rounds/<int:pk>/qa/answers/", qa_views.qa_answers, name="qa_answers"),
    path("rounds/<int:pk>/qa/codes.<str:fmt>", qa_views.qa_export, name="qa_export"),
    path("qa/<int:pk>/", qa_views.qa_session, name="qa_session"),
    path("qa/<int:pk>/notes/<int:question_pk>/", qa_views.qa_note, name="qa_note"),
    path("qa/notes/<int:pk>/code/", qa_views.qa_note_code, name="qa_note_code"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path(
        "submissions/<int:pk>/files/<str:name>",
        odk_views.submission_media,
        name="submission_media",
    ),
    path("compare/", views.compare, name="compare"),
    path("compare/reports/", views.compare_drawing_new, name="compare_drawing_new"),
]
