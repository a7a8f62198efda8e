from django.urls import path, re_path

from . import views_alliances, views_funds, views_lists, views_matches, views_projects, views_sheets

app_name = "cogov"

urlpatterns = [
    path("cogov/", views_lists.needs, name="needs"),
    path("cogov/needs/new/", views_lists.need_new, name="need_new"),
    path("cogov/needs/from-wish/<str:number>/", views_lists.wish_to_need, name="wish_to_need"),
    path("cogov/needs/<int:pk>/", views_lists.need_detail, name="need"),
    path("cogov/needs/<int:pk>/accept/", views_lists.need_accept, name="need_accept"),
    path("cogov/needs/<int:pk>/close/", views_lists.need_close, name="need_close"),
    path("cogov/resources/", views_lists.resources, name="resources"),
    path("cogov/resources/new/", views_lists.resource_new, name="resource_new"),
    path("cogov/resources/<int:pk>/", views_lists.resource_detail, name="resource"),
    path("cogov/resources/<int:pk>/status/", views_lists.resource_status, name="resource_status"),
    path("cogov/needs.xlsx", views_sheets.export_needs, name="needs_xlsx"),
    path("cogov/resources.xlsx", views_sheets.export_resources, name="resources_xlsx"),
    re_path(
        r"^cogov/(?P<which>needs|resources)/template\.xlsx$",
        views_sheets.template,
        name="template",
    ),
    re_path(r"^cogov/(?P<which>needs|resources)/import/$", views_sheets.import_list, name="import"),
    path("cogov/matches/", views_matches.matches, name="matches"),
    path("lists/<int:org_id>/", views_lists.public_lists, name="public"),
    path("cogov/funds/", views_funds.fund_list, name="funds"),
    path("cogov/funds/new/", views_funds.fund_new, name="fund_new"),
    path("cogov/funds/<int:pk>/", views_funds.fund_detail, name="fund"),
    path("cogov/funds/<int:pk>/lines/", views_funds.fund_post, name="fund_post"),
    path(
        "cogov/funds/<int:pk>/lines/<int:line_id>/reverse/",
        views_funds.fund_reverse,
        name="fund_reverse",
    ),
    path(
        "cogov/funds/<int:pk>/approvals/<int:approval_id>/",
        views_funds.fund_decide,
        name="fund_decide",
    ),
    path(
        "cogov/funds/<int:pk>/lines/<int:line_id>/receipt",
        views_funds.fund_receipt,
        name="fund_receipt",
    ),
    path("cogov/funds/<int:pk>/statement.xlsx", views_funds.fund_statement, name="fund_statement"),
    path("cogov/alliances/", views_alliances.alliance_list, name="alliances"),
    path("cogov/alliances/new/", views_alliances.alliance_new, name="alliance_new"),
    path("cogov/alliances/schemes/", views_alliances.scheme_new, name="scheme_new"),
    path("cogov/alliances/<int:pk>/", views_alliances.alliance_detail, name="alliance"),
    re_path(
        r"^cogov/alliances/(?P<pk>[0-9]{1,10})/(?P<act>sign|end|seat)/$",
        views_alliances.alliance_act,
        name="alliance_act",
    ),
    path(
        "cogov/agreements/<int:pk>/document",
        views_alliances.agreement_document,
        name="agreement_document",
    ),
    path("cogov/units/", views_alliances.unit_list, name="units"),
    path("cogov/units/<int:org_id>/", views_alliances.unit_detail, name="unit"),
    path("cogov/units/<int:org_id>/profile/", views_alliances.unit_profile, name="unit_profile"),
    path("cogov/projects/", views_projects.project_list, name="projects"),
    path("cogov/projects/new/", views_projects.project_new, name="project_new"),
    path("cogov/projects/<int:pk>/", views_projects.project_detail, name="project"),
    re_path(
        r"^cogov/projects/(?P<pk>[0-9]{1,10})/(?P<act>move|budget|milestone|milestone_done|served|rate)/$",
        views_projects.project_act,
        name="project_act",
    ),
    re_path(
        r"^cogov/matches/(?P<pk>[0-9]{1,10})/(?P<act>confirm|decline|cancel|complete)/$",
        views_matches.match_act,
        name="match_act",
    ),
]
