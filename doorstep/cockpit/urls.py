from django.urls import path

from . import views

app_name = "cockpit"
urlpatterns = [
    path("cockpit/", views.home, name="home"),
    path("cockpit/<int:pk>/", views.node, name="node"),
]
