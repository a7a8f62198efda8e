"""Keeps the current request's client address at hand for audit entries."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")
# The path of the request this thread is answering, "" when none (read by the test-time
# door guard).
serving: contextvars.ContextVar[str] = contextvars.ContextVar("serving", default="")


def ip_of(request: HttpRequest) -> str:
    # Behind nginx the real address arrives in X-Real-IP; nginx sets it, clients cannot.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR", "") or ""


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
