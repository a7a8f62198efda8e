"""Honour list pages (rankings, publishing, the public page)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
