from django.urls import path

from . import views, views_assessment, views_briefing, views_export

app_name = "cockpit"
urlpatterns = [
    path("cockpit/", views.home, name="home"),
    path("cockpit/<int:pk>/", views.node, name="node"),
    path("cockpit/<int:pk>/export/<str:table>.xlsx", views_export.export, name="export"),
    path("cockpit/<int:pk>/briefing/", views_briefing.briefing, name="briefing"),
    path("cockpit/<int:pk>/briefing.docx", views_briefing.briefing_docx, name="briefing_docx"),
    path("cockpit/<int:pk>/assessment/", views_assessment.assessment, name="assessment"),
]
