"""Keeps the current request's client address at hand for audit entries."""

from __future__ import annotations

import contextvars
import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
