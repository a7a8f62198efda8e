"""Ledger (台账) pages: Excel templates, imports with per-row errors, masked exports."""

from django.http import Http404, HttpRequest, HttpResponse


def ledger(request: HttpRequest) -> HttpResponse:
    raise Http404


def template(request: HttpRequest, kind: str) -> HttpResponse:
    raise Http404


def import_upload(request: HttpRequest) -> HttpResponse:
    raise Http404


def import_result(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def export_residents(request: HttpRequest) -> HttpResponse:
    raise Http404
