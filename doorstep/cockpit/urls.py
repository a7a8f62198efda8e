from django.urls import path

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
    path("cockpit/", views.home, name="home"),
    path("cockpit/<int:pk>/", views.node, name="node"),
    path("cockpit/<int:pk>/list/<slug:what>/", views_drill.drill_list, name="drill"),
    path("cockpit/<int:pk>/list/<slug:what>.xlsx", views_drill.drill_export, name="drill_export"),
    path("cockpit/<int:pk>/export/<str:table>.xlsx", views_export.export, name="export"),
    path("cockpit/<int:pk>/briefing/", views_briefing.briefing, name="briefing"),
    path("cockpit/<int:pk>/briefing.docx", views_briefing.briefing_docx, name="briefing_docx"),
    path("cockpit/<int:pk>/assessment/", views_assessment.assessment, name="assessment"),
    path(
        "cockpit/<int:pk>/assessment.xlsx",
        views_assessment_export.assessment_export,
        name="assessment_export",
    ),
]
