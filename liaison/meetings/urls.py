from django.urls import path

from liaison.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.home, name="home"),
    path("frequency/", views.frequency, name="frequency"),
    path("actions/", views.actions, name="actions"),
    path("blos/<str:code>/new/", views.meeting_new, name="meeting_new"),
    path("<int:pk>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/delete/", views.meeting_delete, name="meeting_delete"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("actions/<int:pk>/", views.action_update, name="action_update"),
]
