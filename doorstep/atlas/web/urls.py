from django.urls import path

from . import views, views_conflicts, views_ledger, views_map, views_people

app_name = "atlas"
urlpatterns = [
    path("org/", views.tree, name="tree"),
    path("org/<int:pk>/", views.organisation_detail, name="organisation"),
    path("org/<int:pk>/children/", views.tree_children, name="tree_children"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/move/", views_people.household_move, name="household_move"),
    path(
        "households/<int:pk>/residents/new/", views_people.resident_create, name="resident_create"
    ),
    path("residents/<int:pk>/", views_people.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views_people.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/delete/", views_people.resident_delete, name="resident_delete"),
    path("residents/<int:pk>/unmask/", views_people.resident_unmask, name="resident_unmask"),
    path("party/", views_people.party_members, name="party_members"),
    path("conflicts/", views_conflicts.conflict_list, name="conflicts"),
    path("conflicts/<int:pk>/resolve/", views_conflicts.conflict_resolve, name="conflict_resolve"),
    path("search/", views.search, name="search"),
    path("map/basemap.json", views_map.basemap_json, name="basemap"),
    path("audit/", views.audit_log, name="audit"),
    path("ledger/", views_ledger.ledger, name="ledger"),
    path("ledger/template/<str:kind>.xlsx", views_ledger.template, name="ledger_template"),
    path("ledger/import/", views_ledger.import_upload, name="ledger_import"),
    path("ledger/import/<int:pk>/", views_ledger.import_result, name="ledger_import_result"),
    path("ledger/export/residents.xlsx", views_ledger.export_residents, name="ledger_export"),
    path("ledger/export/<int:pk>/", views_ledger.export_job, name="ledger_export_job"),
    path(
        "ledger/export/<int:pk>/download/",
        views_ledger.export_download,
        name="ledger_export_download",
    ),
]
