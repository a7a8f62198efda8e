"""站内消息: every logged-in user's notifications, with read marks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from doorstep.inbox.models import Notification


def _me(request: HttpRequest) -> Any:
    return request.user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=_me(request))
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=_me(request), read_at__isnull=True).count()
    request._doorstep_unread = unread  # type: ignore[attr-defined]  # the header's badge
    return render(
        request,
        "cases/inbox.html",
        {"page": page, "unread": unread, "only_unread": bool(request.GET.get("unread"))},
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read (htmx swaps its row), then follow its link if asked."""
    note = Notification.objects.filter(user=_me(request), pk=pk).first()
    if note is None:
        raise Http404("消息不存在")
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    safe = url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()})
    if request.POST.get("go") and note.url and safe:
        return redirect(note.url)
    if request.headers.get("HX-Request"):
        return render(request, "cases/_inbox_row.html", {"n": note})
    return redirect("desk:inbox")


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=_me(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("desk:inbox")
