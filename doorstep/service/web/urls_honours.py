"""Honour list pages (rankings, publishing, the public page)."""

from django.urls import URLPattern, path

from . import views_export, views_honours

urlpatterns: list[URLPattern] = [
    path("service/honours/", views_honours.ranking, name="honours"),
    path("service/honours/publish/", views_honours.publish, name="honour_publish"),
    path("service/honours/export.xlsx", views_export.export_ranking, name="honours_export"),
    path("honours/", views_honours.public_list, name="honour_public_list"),
    path("honours/<int:pk>/", views_honours.public, name="honour_public"),
]
