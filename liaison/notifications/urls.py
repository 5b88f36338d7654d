from django.urls import path

from liaison.notifications import views

app_name = "notifications"

urlpatterns = [
    path("choice/", views.choice, name="choice"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
]
