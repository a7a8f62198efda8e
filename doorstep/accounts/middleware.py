"""An account on a temporary password sees nothing but the password change page."""

from __future__ import annotations

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
