"""Request-wide guards: the client address for audit entries, body limits, no personal
numbers in URLs, no control characters in what is sent."""

from __future__ import annotations

import contextvars
import functools
import ipaddress
import json
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .links import request_origin
from .redact import ID_NUMBER, PHONE
from .text import refusal

client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")
# The path of the request this thread is answering, "" when none (read by the test-time
# door guard).
serving: contextvars.ContextVar[str] = contextvars.ContextVar("serving", default="")


@functools.lru_cache(maxsize=8)
def _proxies(setting: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in setting if p.strip())


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def ip_of(request: HttpRequest) -> str:
    """The client's address. X-Real-IP (set by nginx) counts only when the request comes
    from a proxy listed in DOORSTEP_TRUSTED_PROXIES: anyone else could write it, and the
    login lockout and the audit log would believe a forged address."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = (request.META.get("HTTP_X_REAL_IP") or "").strip()
    if forwarded and _is_ip(forwarded) and _is_ip(peer):
        address = ipaddress.ip_address(peer)
        if any(address in net for net in _proxies(tuple(settings.TRUSTED_PROXIES))):
            return forwarded
    return peer


def _origin_of(request: HttpRequest) -> str:
    try:  # the host was checked against ALLOWED_HOSTS by CommonMiddleware already
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return ""


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(ip_of(request))
        busy = serving.set(request.path or "/")
        origin = request_origin.set(_origin_of(request))
        try:
            return self.get_response(request)
        finally:
            request_origin.reset(origin)
            serving.reset(busy)
            client_ip.reset(token)


TOO_LARGE = "请求内容过大（上限 {mb} MB）"


class BodyLimitMiddleware:
    """A body over the limit is answered 413 before anything reads it, in every mode: a
    JSON error for the API and Open311, a Chinese page otherwise. The limit is
    DATA_UPLOAD_MAX_MEMORY_SIZE for form and JSON bodies and REQUEST_MAX_BYTES for uploads
    (multipart). Without this, Django answered an English 400 page (or a 500 in DEBUG)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.REQUEST_MAX_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit and length > limit:
            return too_large(request, limit)
        if multipart and request.method == "POST" and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # The form fields of a large upload (not its files) are held to the data
            # limit; Django finds out while parsing, so parse here, where it can be
            # answered. A smaller body cannot break that limit and is left to the view.
            try:
                request.POST  # noqa: B018
            except RequestDataTooBig:
                return too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return self.get_response(request)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = TOO_LARGE.format(mb=max(1, limit // (1024 * 1024)))
    if request.path.startswith(("/api/", "/open311/")):
        return JsonResponse(
            {"error": "too_large", "detail": message},
            status=413,
            json_dumps_params={"ensure_ascii": False},
        )
    page = f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>{message}</title><p>{message}</p></html>'
    return HttpResponse(page, status=413)


NUMBER_IN_URL = (
    "完整的身份证号或手机号不能放在网址里（会留在浏览记录和服务器日志中）。"
    "请在搜索框中输入后按“搜索”提交；接口请用 POST /api/search 或 POST /api/residents/search。"
)


class NumbersOutOfUrlsMiddleware:
    """A full ID or mobile number in a query string is refused (400) before anything uses
    it: in a URL it lands in browser history, proxies and access logs. Searches by number
    go by POST (the search page's form, POST /api/search). The refused request's own log
    line is masked by the redacting filter (core/redact.py), and nginx logs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if query and carries_number(query):
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse(
                    {"error": "number_in_url", "detail": NUMBER_IN_URL},
                    status=400,
                    json_dumps_params={"ensure_ascii": False},
                )
            page = (
                '<!doctype html><html lang="zh-Hans"><meta charset="utf-8">'
                f"<title>请勿在网址中填写完整号码</title><p>{NUMBER_IN_URL}</p>"
                '<p><a href="/search/">返回搜索</a></p></html>'
            )
            return HttpResponse(page, status=400)
        return self.get_response(request)


def carries_number(query: str) -> bool:
    """Whether a query string holds a full ID or mobile number (decimals of a coordinate,
    which follow a dot, are not a number of a person)."""
    text = unquote_plus(query)
    for pattern in (ID_NUMBER, PHONE):
        for match in pattern.finditer(text):
            if match.start() == 0 or text[match.start() - 1] != ".":
                return True
    return False


class ControlCharactersMiddleware:
    """Refuse control characters in anything a page or the API is sent to store: form
    fields (not uploaded files) and every string of a JSON body (keys too). Answered
    400 before any view runs: a JSON error naming the field under /api/, a Chinese page
    elsewhere (core/text.py says why). Open311 does the same check in its own views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Open311 checks its own parameters (core.text.refusal) and answers in its own
        # error format (a list of {code, description}), after the api_key check.
        found = None if request.path.startswith("/open311/") else self._find(request)
        if found is not None:
            field, message = found
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": "invalid",
                        "detail": (f"“{field}”" if field else "请求") + message,
                        "field": field,
                    },
                    status=400,
                    json_dumps_params={"ensure_ascii": False},
                )
            label = f"“{field}”" if field else "提交的内容"
            return render(
                request, "core/refused.html", {"label": label, "message": message}, status=400
            )
        return self.get_response(request)

    def _find(self, request: HttpRequest) -> tuple[str, str] | None:
        # Bodies only: what is sent to be stored. A query string is a filter, read by its
        # view, which answers a bad value in place (and stores nothing).
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
            try:
                fields = request.POST.lists()
            except Exception:  # unreadable body: the view (or Django) answers it
                return None
            for key, values in fields:
                for value in [key, *values]:
                    if message := refusal(value):
                        return key, message
        elif "json" in content_type and request.body:
            try:
                data = json.loads(request.body)
            except ValueError:
                return None  # not JSON: the API answers that itself
            return _in_json(data, "")
        return None


def _in_json(data: object, field: str) -> tuple[str, str] | None:
    if isinstance(data, str):
        message = refusal(data)
        return (field, message) if message else None
    if isinstance(data, dict):
        for key, value in data.items():
            if message := refusal(str(key)):
                return str(key), message
            if found := _in_json(value, str(key)):
                return found
    if isinstance(data, list):
        for value in data:
            if found := _in_json(value, field):
                return found
    return None
