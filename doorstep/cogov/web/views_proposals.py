"""居民提议 pages: a resident proposes something for their community and supports others'
proposals; the community's staff adopt one as a participatory project or decline it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.cogov import proposals
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import Proposal, ProposalVote


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    seen = Proposal.objects.visible_to(user).select_related("node", "project")
    page = Paginator(seen, 50).get_page(request.GET.get("page"))
    ids = [p.pk for p in page]
    return render(
        request,
        "cogov/proposals.html",
        {
            "page": page,
            "home": proposals.home_community(user),
            "voted": set(
                ProposalVote.objects.filter(user=user, proposal_id__in=ids).values_list(
                    "proposal_id", flat=True
                )
            ),
            "keeps": set(
                Proposal.objects.visible_to(user, "change")
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            ),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def proposal_new(request: HttpRequest) -> HttpResponse:
    try:
        proposal = proposals.propose(
            actor=actor_of(request),
            title=request.POST.get("title"),
            summary=request.POST.get("summary"),
        )
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已提交提议“{proposal.title}”，邀请邻居们来支持吧")
    return redirect("cogov:proposals")


@login_required
@require_POST
def proposal_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    proposal = Proposal.objects.visible_to(user).filter(pk=int(pk)).first()
    if proposal is None:
        raise Http404("提议不存在或无权查看")
    post = request.POST
    try:
        if act == "support":
            proposals.support(actor=user, proposal=proposal)
            messages.success(request, "已支持这条提议")
        elif act == "adopt":
            project = proposals.adopt(
                actor=user, proposal=proposal, starts_on=post.get("starts_on"),
                ends_on=post.get("ends_on"),
            )  # fmt: skip
            messages.success(request, f"已立为参与式治理项目“{project.title}”（申报）")
            return redirect("cogov:project", pk=project.pk)
        elif act == "decline":
            proposals.decline(actor=user, proposal=proposal, reason=post.get("reason"))
            messages.success(request, "已答复不予采纳")
        else:
            raise Http404("没有这个操作")
    except CogovError as exc:
        messages.error(request, exc.message)
    return redirect("cogov:proposals")
