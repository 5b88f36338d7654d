from django.urls import path

from liaison.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/<int:pk>/", views.questionnaire, name="questionnaire"),
    path("questionnaires/<int:pk>/file/", views.questionnaire_file, name="questionnaire_file"),
    path("questionnaires/<int:pk>/new-round/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/fill/", views.fill, name="fill"),
    path("rounds/<int:pk>/import/", views.import_export, name="import"),
    path("rounds/<int:pk>/results/", views.results, name="results"),
    path("rounds/<int:pk>/report.<str:fmt>", views.report, name="report"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("compare/", views.compare, name="compare"),
]
