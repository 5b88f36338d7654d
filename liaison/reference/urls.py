from django.urls import path

from liaison.reference import views

app_name = "reference"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search-index.json", views.search_index_json, name="search_index"),
    path("<slug:kind>/", views.vocabulary_list, name="vocabulary"),
    path("<slug:kind>/<str:code>/", views.entry_detail, name="entry"),
]
