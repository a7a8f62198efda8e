from django.urls import path

from . import views, views_export

app_name = "cockpit"
urlpatterns = [
    path("cockpit/", views.home, name="home"),
    path("cockpit/<int:pk>/", views.node, name="node"),
    path("cockpit/<int:pk>/export/<str:table>.xlsx", views_export.export, name="export"),
]
