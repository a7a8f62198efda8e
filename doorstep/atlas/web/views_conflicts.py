"""身份证号冲突 queue: numbers someone tried to register that a resident outside their scope
already holds, for the staff who can see that resident to sort out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.people import conflicts
from doorstep.atlas.people.models import IdentityConflict
from doorstep.core.masking import mask_name


@login_required
@permission_required("people.view_identityconflict", raise_exception=True)
def conflict_list(request: HttpRequest) -> HttpResponse:
    show_closed = request.GET.get("closed") == "1"
    qs = (
        IdentityConflict.objects.visible_to(request.user)
        .filter(resolved_at__isnull=not show_closed)
        .select_related(
            "holder__household__unit__building",
            "holder__grid",
            "household__unit__building",
            "requested_by",
            "resolved_by",
        )
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    if page.paginator.count == 0 and request.GET.get("page"):
        raise Http404
    rows = [
        {"c": c, "tried_name": mask_name(c.name)} for c in page
    ]  # the name typed in belongs to the other side: masked like an export
    return render(
        request,
        "atlas/conflicts.html",
        {
            "page": page,
            "rows": rows,
            "show_closed": show_closed,
            "can_resolve": request.user.has_perm("people.change_identityconflict"),
        },
    )


@require_POST
@login_required
@permission_required("people.change_identityconflict", raise_exception=True)
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(IdentityConflict.objects.visible_to(request.user, "change"), pk=pk)
    try:
        conflicts.resolve(
            conflict=conflict,
            actor=actor_of(request),
            resolution=request.POST.get("resolution", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已处理冲突 #{conflict.pk}")
    return redirect("atlas:conflicts")
