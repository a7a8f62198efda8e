"""JSON error bodies for the API: bad input is a 4xx with a message, never a 500.

Every domain's errors are one family (`core.errors.DomainError`); each answers with its own
status (400 invalid, 403 forbidden, 409 conflict) and `{"error", "detail", "field"?}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from .errors import DomainError


def _messages(exc: ValidationError) -> Any:
    if hasattr(exc, "message_dict"):
        return exc.message_dict
    return exc.messages


def domain_body(exc: DomainError) -> dict[str, Any]:
    """The JSON body for a domain error: its code, its message, the field if it names one."""
    body: dict[str, Any] = {"error": exc.code, "detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return body


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, domain_body(exc), status=exc.status)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(
            request, {"error": "invalid", "detail": _messages(exc)}, status=400
        )

    @api.exception_handler(NinjaValidationError)
    def _schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return api.create_response(request, {"error": "invalid", "detail": exc.errors}, status=422)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(
            request, {"error": "not_found", "detail": "不存在或无权查看"}, status=404
        )

    @api.exception_handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(
            request, {"error": "forbidden", "detail": str(exc) or "没有权限"}, status=403
        )

    @api.exception_handler(AuthenticationError)
    def _unauth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, {"error": "unauthorized", "detail": "请先登录或提供令牌"}, status=401
        )
