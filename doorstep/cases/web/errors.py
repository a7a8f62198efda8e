"""A CaseError from the service becomes a JSON error with its own status (400/403/409)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from doorstep.cases.errors import CaseError


def install_case_errors(api: NinjaAPI) -> None:
    @api.exception_handler(CaseError)
    def _case_error(request: HttpRequest, exc: CaseError) -> HttpResponse:
        body = {"error": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return api.create_response(request, body, status=exc.status)
