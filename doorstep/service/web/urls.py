from django.urls import path

from . import (
    urls_certificates,
    urls_honours,
    views_dual,
    views_me,
    views_oversight,
    views_points,
    views_records,
    views_settings,
    views_teams,
)

app_name = "serve"
urlpatterns = [
    path("service/me/", views_me.me, name="me"),
    path("service/dual-report/", views_dual.dual_report_mine, name="dual_report"),
    path("service/dual-reports/", views_dual.dual_reports, name="dual_reports"),
    path("service/dual-reports/<int:pk>/decide/", views_dual.dual_decide, name="dual_decide"),
    path("service/teams/", views_teams.team_list, name="teams"),
    path("service/teams/new/", views_teams.team_new, name="team_new"),
    path("service/teams/<int:pk>/", views_teams.team_detail, name="team"),
    path("service/teams/<int:pk>/join/", views_teams.team_join, name="team_join"),
    path("service/posts/", views_teams.post_list, name="posts"),
    path("service/posts/new/", views_teams.post_new, name="post_new"),
    path("service/posts/<int:pk>/apply/", views_teams.post_apply, name="post_apply"),
    path("service/holdings/<int:pk>/approve/", views_teams.holding_approve, name="holding_approve"),
    path("service/holdings/<int:pk>/decline/", views_teams.holding_decline, name="holding_decline"),
    path("service/holdings/<int:pk>/end/", views_teams.holding_end, name="holding_end"),
    path("service/records/new/", views_records.record_new, name="record_new"),
    path("service/records/review/", views_records.review, name="review"),
    path(
        "service/records/<int:pk>/evidence/", views_records.record_evidence, name="record_evidence"
    ),
    path("service/records/<int:pk>/approve/", views_records.record_approve, name="record_approve"),
    path("service/records/<int:pk>/reject/", views_records.record_reject, name="record_reject"),
    path("service/visits/new/", views_records.visit_new, name="visit_new"),
    path("service/visits/coverage/", views_oversight.link_coverage, name="link_coverage"),
    path("service/records/edits/", views_oversight.edits, name="edits"),
    path("service/records/<int:pk>/edit/", views_oversight.edit_propose, name="edit_propose"),
    path("service/edits/<int:pk>/decide/", views_oversight.edit_decide, name="edit_decide"),
    path("service/points/", views_points.points, name="points"),
    path("service/rewards/<int:pk>/redeem/", views_points.redeem, name="redeem"),
    path("service/rules/", views_settings.rules, name="rules"),
    path("service/rewards/", views_settings.rewards, name="rewards"),
    *urls_honours.urlpatterns,
    *urls_certificates.urlpatterns,
]
