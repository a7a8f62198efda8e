"""工作台: the home page of every role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .desks import sections


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return workbench(request)


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/home.html", {"sections": sections(request.user)})
