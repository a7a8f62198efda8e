"""The cockpit's pages. Those that only read (figures, lists, the briefing, exports) read
from the replica when one is configured (core/replica.py); the assessment, which edits
scorecards, reads the primary."""

from django.urls import path

from doorstep.core.replica import reads_from_replica as replica

from . import (
    views,
    views_assessment,
    views_assessment_export,
    views_briefing,
    views_drill,
    views_export,
)

app_name = "cockpit"
urlpatterns = [
    path("cockpit/", replica(views.home), name="home"),
    path("cockpit/<int:pk>/", replica(views.node), name="node"),
    path("cockpit/<int:pk>/list/<slug:what>/", replica(views_drill.drill_list), name="drill"),
    path(
        "cockpit/<int:pk>/list/<slug:what>.xlsx",
        replica(views_drill.drill_export),
        name="drill_export",
    ),
    path("cockpit/<int:pk>/export/<str:table>.xlsx", replica(views_export.export), name="export"),
    path("cockpit/<int:pk>/briefing/", replica(views_briefing.briefing), name="briefing"),
    path(
        "cockpit/<int:pk>/briefing.docx",
        replica(views_briefing.briefing_docx),
        name="briefing_docx",
    ),
    path("cockpit/<int:pk>/assessment/", views_assessment.assessment, name="assessment"),
    path(
        "cockpit/<int:pk>/assessment.xlsx",
        replica(views_assessment_export.assessment_export),
        name="assessment_export",
    ),
]
