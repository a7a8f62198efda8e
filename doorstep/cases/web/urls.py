from django.urls import path

from . import (
    category_picker,
    views_case,
    views_dispatch,
    views_export,
    views_hotline,
    views_inbox,
    views_public_track,
    views_queue,
    views_resident,
)

app_name = "desk"
urlpatterns = [
    path("cases/", views_queue.case_list, name="list"),
    path("cases/pool/", views_queue.pool, name="pool"),
    path("cases/export.xlsx", views_export.export_cases, name="export"),
    path("cases/new/", views_resident.new_case, name="new"),
    path("cases/categories/", category_picker.category_search, name="categories"),
    path("cases/patrol/new/", views_resident.patrol_new, name="patrol_new"),
    path("cases/hotline/", views_hotline.hotline_import, name="hotline"),
    path("cases/hotline/waiting/", views_hotline.hotline_waiting, name="hotline_waiting"),
    path(
        "cases/hotline/waiting/<int:pk>/classify/",
        views_hotline.hotline_classify,
        name="hotline_classify",
    ),
    path(
        "cases/hotline/waiting/<int:pk>/place/", views_hotline.hotline_place, name="hotline_place"
    ),
    path("cases/mine/", views_resident.mine, name="mine"),
    path("cases/track/", views_resident.track, name="track"),
    path("track/", views_public_track.track_public, name="public_track"),
    path("cases/<str:number>/filed/", views_resident.filed, name="filed"),
    path("cases/<str:number>/", views_case.case_detail, name="case"),
    path("cases/<str:number>/move/<str:code>/", views_case.move, name="move"),
    path("cases/<str:number>/handlers/", views_dispatch.handler_search, name="handlers"),
    path("cases/<str:number>/photos/<int:pk>/", views_case.photo, name="photo"),
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views_inbox.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views_inbox.inbox_read_all, name="inbox_read_all"),
]
