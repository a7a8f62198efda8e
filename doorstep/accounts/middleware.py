"""An account on a temporary password sees nothing but the password change page."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED = ("/accounts/password/", "/accounts/logout/", "/static/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(ALLOWED)
        ):
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse(
                    {"error": "password_change_required", "detail": "请先修改临时密码"},
                    status=403,
                    json_dumps_params={"ensure_ascii": False},
                )
            return redirect(reverse("accounts:password_change"))
        return self.get_response(request)


# A signed-in session is renewed (its idle timeout restarted) at most this often, not on
# every request: each renewal is a write (a database UPDATE and commit in the embedded
# default, a Redis SET in production), and the idle timeout is hours long.
RENEW_EVERY_SECONDS = 300
RENEWED_KEY = "_doorstep_renewed"


class SessionRenewalMiddleware:
    """Sliding expiry without a write per request: Django's SESSION_SAVE_EVERY_REQUEST
    rewrote the session on every request; this marks it for saving (which restarts its
    SESSION_COOKIE_AGE) only when the last renewal is older than RENEW_EVERY_SECONDS. An
    idle session therefore ends between the age and the age less five minutes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            last = session.get(RENEWED_KEY)
            if not isinstance(last, int) or not 0 <= now - last < RENEW_EVERY_SECONDS:
                session[RENEWED_KEY] = now  # marks it modified: SessionMiddleware saves it
        return response
