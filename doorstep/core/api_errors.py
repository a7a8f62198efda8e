"""JSON error bodies for the API: bad input is a 4xx with a message, never a 500.

Every domain's errors are one family (`core.errors.DomainError`); each answers with its own
status (400 invalid, 403 forbidden, 409 conflict) and `{"error", "detail", "field"?}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
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

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own refusals, e.g. a body that is not JSON ("Cannot parse request body").
        detail = {
            400: "请求内容不是有效的 JSON",
            403: "请求已过期或来源不明（CSRF 校验失败），请刷新页面后重试",  # the only 403 ninja raises
        }.get(exc.status_code, str(exc))
        code = {400: "invalid", 401: "unauthorized", 403: "forbidden"}.get(exc.status_code, "error")
        return api.create_response(
            request, {"error": code, "detail": detail}, status=exc.status_code
        )

    @api.exception_handler(AuthenticationError)
    def _unauth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, {"error": "unauthorized", "detail": "请先登录或提供令牌"}, status=401
        )


# What each error status means, as the OpenAPI document states it. The statuses an
# operation can give follow from its shape: every operation needs a caller (401), a
# permission (403) and may break a rule (400); an id in its path or filters may name
# nothing the caller sees (404); anything sent may be malformed (422); a write's body may
# be too large (413), and a write may lose to another (409).
ERROR_STATUSES = {
    "400": "违反业务规则，或网址中含有完整证件号/手机号（invalid, number_in_url）",
    "401": "未登录或令牌无效（unauthorized）",
    "403": "没有权限，或须先修改临时密码（forbidden, password_change_required）",
    "404": "不存在或不在调用者的数据权限内（not_found）",
    "409": "与他人的操作冲突，或已办理（conflict）",
    "413": "请求内容过大（too_large）",
    "422": "请求格式不符合接口说明（invalid）",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "机器可读的错误代码"},
        "detail": {"description": "给用户看的说明（文字），或逐项的错误（对象或列表）"},
        "field": {"type": "string", "description": "出错的字段"},
    },
}


def declare_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers each operation can give to an OpenAPI document (in place)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            # 404: a path id, or an id among the filters, may name nothing the caller sees.
            statuses = ["400", "401", "403", "404", "422"]
            if method in ("post", "put", "patch", "delete"):
                statuses += ["409", "413"]
            responses = operation.setdefault("responses", {})
            for status in sorted(set(statuses)):
                responses.setdefault(
                    status,
                    {
                        "description": ERROR_STATUSES[status],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return document
