"""Service certificate pages (issue, download .docx / .pdf, the public check)."""

from django.urls import URLPattern, path

from . import views_certificates as views

urlpatterns: list[URLPattern] = [
    path("service/certificates/", views.certificate_list, name="certificates"),
    path("service/certificates/<int:pk>/docx/", views.certificate_docx, name="certificate_docx"),
    path("service/certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/verify/", views.certificate_verify, name="certificate_verify"),
]
