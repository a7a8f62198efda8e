"""Community projects (项目清单): the list, proposing (from a confirmed match or afresh), a
project's page with its budget, milestones, moves and ratings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov import funds, project_flow, projects, services
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import BudgetSource, Match, Milestone, Project, ProjectKind
from doorstep.core.ids import parse_id

from .files import private_file
from .views_lists import within

MOVE_LABELS = {"propose": "申报", **{code: m.label for code, m in project_flow.MOVES.items()}}


def visible_projects(user: Any) -> QuerySet[Project]:
    return Project.objects.visible_to(user).select_related("node")


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("cogov.view_project"):
        raise PermissionDenied("没有查看项目清单的权限")
    stage = request.GET.get("stage", "live")
    qs = visible_projects(user)
    if stage == "live":
        qs = qs.filter(status__in=project_flow.LIVE)
    elif stage == "done":
        qs = qs.filter(status__in=[project_flow.P.PUBLIC, project_flow.P.RATED])
    elif stage in project_flow.STATUS_LABELS:
        qs = qs.filter(status=stage)
    org = within(user, request.GET.get("org"))
    if org is not None:
        qs = qs.filter(path__startswith=org.path)
    today = timezone.localdate()
    qs = qs.annotate(
        late=Count("milestones", filter=Q(milestones__done_on=None, milestones__due_on__lt=today))
    )
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    by_stage = dict(visible_projects(user).values_list("status").annotate(n=Count("id")).order_by())
    return render(
        request,
        "cogov/projects.html",
        {
            "page": page,
            "stage": stage,
            "org": org,
            "stages": [
                (s, project_flow.STATUS_LABELS[s], by_stage.get(s, 0))
                for s in project_flow.STATUS_LABELS
            ],
        },
    )


def _nodes(user: Any) -> QuerySet[Organisation]:
    return (
        Organisation.objects.visible_to(user)
        .filter(kind__in=services.NEED_NODE_KINDS)
        .order_by("path")
    )


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.has_perm("cogov.add_project"):
        raise PermissionDenied("没有申报项目的权限")
    match = None
    mid = parse_id(request.GET.get("match") or request.POST.get("match"))
    if mid is not None:
        match = (
            Match.objects.visible_to(user)
            .select_related("need__node", "resource__provider")
            .filter(pk=mid)
            .first()
        )
        if match is None:
            raise Http404("该对接不存在或无权查看")
    error, field, status = "", "", 200
    if request.method == "POST":
        node = _nodes(user).filter(pk=parse_id(request.POST.get("node")) or 0).first()
        try:
            project = projects.propose(
                actor=user,
                node=node if match is None else None,
                title=request.POST.get("title"),
                kind=request.POST.get("kind"),
                summary=request.POST.get("summary"),
                starts_on=request.POST.get("starts_on"),
                ends_on=request.POST.get("ends_on"),
                match=match,
            )
        except CogovError as exc:
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            messages.success(request, f"已申报项目：{project.title}。请填写预算和节点后提交审核")
            return redirect("cogov:project", pk=project.pk)
    return render(
        request,
        "cogov/project_new.html",
        {
            "match": match,
            "nodes": _nodes(user),
            "kinds": ProjectKind.choices,
            "error": error,
            "field": field,
            "form": request.POST,
        },
        status=status,
    )


def _project(request: HttpRequest, pk: int) -> Project:
    found = visible_projects(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("项目不存在或无权查看")
    return found


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = actor_of(request)
    held = projects.held(user, project)
    today = timezone.localdate()
    milestones = list(project.milestones.all())
    return render(
        request,
        "cogov/project.html",
        {
            "project": project,
            "moves": projects.available(project, user),
            "keeper": project_flow.CHANGE in held and project.status not in project_flow.FINAL,
            "budget": project.budget.all(),
            "total": projects.budget_total(project),
            "sources": BudgetSource.choices,
            "milestones": milestones,
            "late": {m.pk for m in milestones if m.late(today)},
            "events": [
                (e, MOVE_LABELS.get(e.move, e.move)) for e in project.events.select_related("actor")
            ],
            "rating": projects.rating_of(project),
            "may_rate": projects.may_rate(user, project),
            "rated": project.ratings.filter(user=user).exists(),
            "stages": project_flow.STAGES,
            "labels": project_flow.STATUS_LABELS,
            "partners": project.partners.all(),
            "money": funds.project_money(project),
            "photos": project.photos.all(),
        },
    )


def _done(request: HttpRequest, project: Project, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("cogov:project", pk=project.pk)


@login_required
@require_POST
def project_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    project = _project(request, int(pk))
    user = actor_of(request)
    post = request.POST
    try:
        if act == "move":
            code = post.get("move", "")
            move = project_flow.MOVES.get(code)
            projects.perform(
                project, code, actor=user, note=post.get("note"),
                expected_version=parse_id(post.get("version")),
            )  # fmt: skip
            return _done(request, project, f"已{move.label if move else '处理'}")
        if act == "budget":
            projects.add_budget_line(
                actor=user, project=project, item=post.get("item"), amount=post.get("amount"),
                source=post.get("source"),
            )  # fmt: skip
            return _done(request, project, "已添加预算")
        if act == "milestone":
            projects.add_milestone(
                actor=user, project=project, title=post.get("title"), due_on=post.get("due_on")
            )
            return _done(request, project, "已添加节点")
        if act == "milestone_done":
            milestone = Milestone.objects.filter(
                project=project, pk=parse_id(post.get("milestone")) or 0
            ).first()
            if milestone is None:
                raise CogovError("请选择节点", "milestone")
            projects.complete_milestone(
                actor=user, milestone=milestone, note=post.get("note"), done_on=post.get("done_on")
            )
            return _done(request, project, f"节点“{milestone.title}”已完成")
        if act == "served":
            projects.record_served(
                actor=user,
                project=project,
                volunteers=post.get("volunteers"),
                served=post.get("served"),
            )
            return _done(request, project, "已更新参与和服务人次")
        if act == "photo":
            projects.add_photo(
                actor=user, project=project, image=request.FILES.get("image"),
                caption=post.get("caption"),
            )  # fmt: skip
            return _done(request, project, "已上传照片")
        if act == "rate":
            projects.rate(
                actor=user, project=project, stars=post.get("stars"), comment=post.get("comment")
            )
            return _done(request, project, "感谢您的评价")
    except CogovError as exc:
        messages.error(request, exc.message)
        return redirect("cogov:project", pk=project.pk)
    raise Http404("没有这个操作")


@login_required
def project_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """A project's photo, only to those who see the project (MEDIA is not public)."""
    project = _project(request, pk)
    photo = project.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404("照片不存在")
    return private_file(photo.image, "照片不存在")
