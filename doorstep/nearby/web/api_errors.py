"""A SiteError (sites, rooms, bookings) or an ActivityError from the services becomes a JSON
error with its own status (400 / 403 / 404 / 409): `{"error", "detail", "field"}`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from doorstep.nearby.activities.services import ActivityError
from doorstep.nearby.sites.errors import SiteError

CODES = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


def _body(code: str, exc: Any) -> dict[str, Any]:
    body = {"error": code, "detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return body


def install_places_errors(api: NinjaAPI) -> None:
    @api.exception_handler(SiteError)
    def _site_error(request: HttpRequest, exc: SiteError) -> HttpResponse:
        return api.create_response(request, _body(exc.code, exc), status=exc.status)

    @api.exception_handler(ActivityError)
    def _activity_error(request: HttpRequest, exc: ActivityError) -> HttpResponse:
        code = CODES.get(exc.status, "invalid")
        return api.create_response(request, _body(code, exc), status=exc.status)
