"""Keeps the current request's client address at hand for audit entries."""

from __future__ import annotations

import contextvars
import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

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


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(ip_of(request))
        busy = serving.set(request.path or "/")
        try:
            return self.get_response(request)
        finally:
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
        return JsonResponse({"error": "too_large", "detail": message}, status=413)
    page = f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>{message}</title><p>{message}</p></html>'
    return HttpResponse(page, status=413)
