from django.urls import path, re_path

from . import views_ballots

app_name = "deliberation"

urlpatterns = [
    path("votes/", views_ballots.ballot_list, name="ballots"),
    path("votes/new/", views_ballots.ballot_new, name="ballot_new"),
    path("votes/<int:pk>/", views_ballots.ballot_detail, name="ballot"),
    path("votes/<int:pk>/choices/", views_ballots.ballot_choices, name="ballot_choices"),
    re_path(
        r"^votes/(?P<pk>\d+)/(?P<act>open|close|cast|paper)/$",
        views_ballots.ballot_act,
        name="ballot_act",
    ),
]
