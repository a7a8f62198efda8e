from django.urls import path, re_path

from . import (
    views_ballots,
    views_campaigns,
    views_councils,
    views_meetings,
    views_receptions,
    views_resolutions,
    views_surveys,
    views_topics,
)

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
    path("councils/", views_councils.council_list, name="councils"),
    path("councils/new/", views_councils.council_new, name="council_new"),
    path("councils/<int:pk>/", views_councils.council_detail, name="council"),
    re_path(
        r"^councils/(?P<pk>\d+)/(?P<act>member|end|meeting)/$",
        views_councils.council_act,
        name="council_act",
    ),
    path("meetings/", views_meetings.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views_meetings.meeting_detail, name="meeting"),
    path(
        "meetings/<int:pk>/sign-in/<str:token>/",
        views_meetings.meeting_sign_in,
        name="meeting_sign_in",
    ),
    path("meetings/<int:pk>/files/<int:file_id>/", views_meetings.attachment, name="attachment"),
    re_path(
        r"^meetings/(?P<pk>\d+)/(?P<act>sign_in_for|decide|minutes|attach|sign|opinion|resolve)/$",
        views_meetings.meeting_act,
        name="meeting_act",
    ),
    path("receptions/", views_receptions.reception_home, name="receptions"),
    re_path(
        r"^receptions/(?P<act>book|schedule|public_days)/$",
        views_receptions.reception_act,
        name="reception_act",
    ),
    path("receptions/deputies/", views_receptions.deputy_list, name="deputies"),
    path("receptions/slots/<int:pk>/", views_receptions.slot_detail, name="reception_slot"),
    re_path(
        r"^receptions/slots/(?P<pk>\d+)/(?P<act>walk_in|record|case|topic)/$",
        views_receptions.slot_act,
        name="slot_act",
    ),
    path("receptions/visits/", views_receptions.visit_list, name="reception_visits"),
    path("receptions/visits/<int:pk>/", views_receptions.visit_detail, name="reception_visit"),
    path("campaigns/", views_campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", views_campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views_campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/split/", views_campaigns.campaign_split, name="campaign_split"),
    path("campaigns/<int:pk>/doors/", views_campaigns.campaign_doors, name="campaign_doors"),
    path(
        "campaigns/<int:pk>/doors/<int:target_id>/",
        views_campaigns.campaign_knock,
        name="campaign_knock",
    ),
    path("surveys/", views_surveys.survey_list, name="surveys"),
    path("surveys/new/", views_surveys.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views_surveys.survey_detail, name="survey"),
    path("surveys/<int:pk>/paper/", views_surveys.survey_paper, name="survey_paper"),
    path("surveys/<int:pk>/results/", views_surveys.survey_results_page, name="survey_results"),
    path("surveys/<int:pk>/export/", views_surveys.survey_export, name="survey_export"),
    re_path(
        r"^surveys/(?P<pk>\d+)/(?P<act>question|open|close|topic)/$",
        views_surveys.survey_act,
        name="survey_act",
    ),
    # the QR code's link: short, for a phone
    path("s/<str:token>/", views_surveys.survey_answer, name="survey_answer"),
]
