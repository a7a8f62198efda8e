"""查询进度 for anyone: a case's status by its tracking code and the phone's last four
digits (cases/tracking.py). Posted, never in a URL; rate-limited per client address."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.cases import tracking
from doorstep.core.middleware import ip_of


def track_public(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"code": "", "tail": ""}
    if request.method != "POST":
        return render(request, "cases/track_public.html", context)
    code = str(request.POST.get("code", ""))[:32]
    tail = str(request.POST.get("tail", "")).strip()[:8]
    context.update(code=code, tail="")
    if not tracking.take_try(ip_of(request)):
        context["error"] = "查询次数过多，请十分钟后再试。"
        return render(request, "cases/track_public.html", context, status=429)
    case = tracking.lookup(code, tail)
    if case is None:
        # The same answer whether the code is unknown or the digits do not match.
        context["error"] = "没有找到：请核对查询码和手机号后四位。"
        return render(request, "cases/track_public.html", context, status=404)
    context.update(
        case=case,
        shown=tracking.shown(case.code),
        steps=tracking.public_steps(case),
    )
    return render(request, "cases/track_public.html", context)
