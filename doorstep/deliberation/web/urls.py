from django.urls import path, re_path

from . import views_ballots, views_resolutions, views_topics

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
    path("topics/", views_topics.topic_list, name="topics"),
    path("topics/new/", views_topics.topic_new, name="topic_new"),
    path("topics/<int:pk>/", views_topics.topic_detail, name="topic"),
    re_path(
        r"^topics/(?P<pk>\d+)/(?P<act>second|accept|decline|merge|resolve)/$",
        views_topics.topic_act,
        name="topic_act",
    ),
    path("resolutions/", views_resolutions.resolution_list, name="resolutions"),
    path("resolutions/new/", views_resolutions.resolution_new, name="resolution_new"),
    path("resolutions/<int:pk>/", views_resolutions.resolution_detail, name="resolution"),
    re_path(
        r"^resolutions/(?P<pk>\d+)/(?P<act>object|answer|project|case|need)/$",
        views_resolutions.resolution_act,
        name="resolution_act",
    ),
]
