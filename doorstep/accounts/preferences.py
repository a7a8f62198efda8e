"""How the site looks for one person: 长辈模式 (elder mode), following the MIIT
互联网网站适老化通用设计规范 — body text of 20 px (never under 18), higher contrast, targets
of at least 48 px and a simpler page (templates/base.html puts `elder` on <body>;
static/css/elder.css draws it).

A signed-in person's choice is kept on their account, so it follows them to any device;
before signing in (the login page) it is kept in a cookie, which login carries onto the
account.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

COOKIE = "doorstep_elder"
COOKIE_SECONDS = 365 * 24 * 3600


def elder_mode(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return bool(getattr(user, "elder_mode", False))
    return request.COOKIES.get(COOKIE) == "1"


def set_elder_mode(request: HttpRequest, response: HttpResponse, on: bool) -> None:
    """Switch 长辈模式 for whoever made the request: their account, else a cookie."""
    user: Any = request.user
    if user.is_authenticated:
        if user.elder_mode != on:
            user.elder_mode = on
            user.save(update_fields=["elder_mode"])
        response.delete_cookie(COOKIE)
    elif on:
        response.set_cookie(COOKIE, "1", max_age=COOKIE_SECONDS, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(COOKIE)


def carry_cookie_to_account(request: HttpRequest, response: HttpResponse, user: Any) -> None:
    """At login: 长辈模式 switched on at the login page becomes the account's."""
    if request.COOKIES.get(COOKIE) != "1":
        return
    if not user.elder_mode:
        user.elder_mode = True
        user.save(update_fields=["elder_mode"])
    response.delete_cookie(COOKIE)


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: `elder_mode` for <body class>."""
    return {"elder_mode": elder_mode(request)}
