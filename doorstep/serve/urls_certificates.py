"""Service certificate pages (issue, download .docx / .pdf, the public check)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
