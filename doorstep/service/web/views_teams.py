"""Teams and posts pages: list, create (staff), join; posts to apply for (认岗), the staff
queue of applications (approve within slots, decline with a reason), leaving a post."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation
from doorstep.service import teams
from doorstep.service.errors import ServiceError
from doorstep.service.models import Post, PostHolding, Team, Theme

NO_NUL = "含有无效字符"


def _orgs(user: Any) -> Any:
    return Organisation.objects.visible_to(user).filter(kind__in=ADMIN_KINDS).order_by("path")


class TeamForm(forms.Form):
    organisation = forms.ModelChoiceField(label="所属组织", queryset=Organisation.objects.none())
    name = forms.CharField(label="队伍名称", max_length=60)
    theme = forms.ModelChoiceField(label="主题", queryset=Theme.objects.all(), required=False)
    skills = forms.CharField(label="服务技能", max_length=200, required=False)
    description = forms.CharField(
        label="队伍简介", max_length=2000, required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _orgs(user)  # type: ignore[attr-defined]


class PostForm(forms.Form):
    organisation = forms.ModelChoiceField(label="设岗组织", queryset=Organisation.objects.none())
    title = forms.CharField(label="岗位名称", max_length=60)
    duties = forms.CharField(
        label="岗位职责", max_length=2000, required=False, widget=forms.Textarea
    )
    slots = forms.IntegerField(label="人数", min_value=1, max_value=1000, initial=1)
    team = forms.ModelChoiceField(label="所属队伍", queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _orgs(user)  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.visible_to(user)  # type: ignore[attr-defined]


def _fail(request: HttpRequest, exc: ServiceError, back: str) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect(back)


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    rows = (
        Team.objects.visible_to(request.user)
        .filter(active=True)
        .select_related("theme", "organisation", "leader")
        .annotate(size=Count("members", filter=Q(members__left_at__isnull=True), distinct=True))
    )
    return render(
        request,
        "service/team_list.html",
        {"rows": rows, "may_add": request.user.has_perm("service.add_team")},
    )


@login_required
def team_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("service.add_team"):
        raise PermissionDenied("没有组建队伍的权限")
    form = TeamForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                team = teams.create_team(actor=user, **data)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已组建：{team.name}")
                return redirect("serve:team", pk=team.pk)
        else:
            status = 400
    return render(request, "service/team_new.html", {"form": form}, status=status)


def _team(request: HttpRequest, pk: int) -> Team:
    team = Team.objects.visible_to(request.user).filter(pk=pk).first()
    if team is None:
        raise Http404("队伍不存在或无权查看")
    return team


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team(request, pk)
    members = team.members.filter(left_at__isnull=True).select_related("user")
    user: Any = request.user
    return render(
        request,
        "service/team_detail.html",
        {
            "team": team,
            "members": members,
            "posts": team.posts.filter(active=True),
            "is_member": members.filter(user=user).exists(),
        },
    )


@login_required
@require_POST
def team_join(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team_joinable(request, pk)
    user = actor_of(request)
    try:
        teams.join(team, user, actor=user)
    except ServiceError as exc:
        return _fail(request, exc, "serve:teams")
    messages.success(request, f"已加入{team.name}")
    return redirect("serve:team", pk=team.pk)


def _team_joinable(request: HttpRequest, pk: int) -> Team:
    """Teams of the areas one lives or serves in may be joined (those one sees, or whose
    organisation is in one's home street)."""
    from doorstep.nearby.sites.scoping import home_street_paths

    joinable = Team.objects.outside_door("a team one may join: checked just below")
    team = joinable.filter(pk=pk, active=True).first()
    if team is None:
        raise Http404("队伍不存在")
    visible = Team.objects.visible_to(request.user).filter(pk=pk).exists()
    home = any(team.organisation_path.startswith(p) for p in home_street_paths(request.user))
    if not (visible or home):
        raise Http404("队伍不存在")
    return team


@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    posts = (
        Post.objects.visible_to(user)
        .filter(active=True)
        .select_related("organisation", "team")
        .annotate(held=Count("holdings", filter=Q(holdings__status="holding"), distinct=True))
    )
    mine = dict(
        PostHolding.objects.filter(user=user, status__in=("applied", "holding")).values_list(
            "post_id", "status"
        )
    )
    queue = []
    if user.has_perm("service.change_post"):
        queue = list(
            PostHolding.objects.filter(status="applied", post__in=_staff_posts(user))
            .exclude(user=user)
            .select_related("post", "user")
        )
    return render(
        request,
        "service/post_list.html",
        {
            "posts": posts,
            "mine": mine,
            "queue": queue,
            "may_add": user.has_perm("service.add_post"),
        },
    )


@login_required
def post_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("service.add_post"):
        raise PermissionDenied("没有设岗的权限")
    form = PostForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                post = teams.create_post(actor=user, **form.cleaned_data)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已设岗：{post.title}")
                return redirect("serve:posts")
        else:
            status = 400
    return render(request, "service/post_new.html", {"form": form}, status=status)


@login_required
@require_POST
def post_apply(request: HttpRequest, pk: int) -> HttpResponse:
    post = Post.objects.visible_to(request.user).filter(pk=pk).first()
    if post is None:
        raise Http404("岗位不存在")
    note = str(request.POST.get("note") or "")[:200]
    try:
        teams.apply(post, actor_of(request), dual_report=request.POST.get("dual") == "1", note=note)
    except ServiceError as exc:
        messages.error(request, exc.message)
        response = post_list(request)
        response.status_code = exc.status
        return response
    messages.success(request, f"已申请认领“{post.title}”，等待社区审批")
    return redirect("serve:posts")


def _staff_posts(user: Any) -> Any:
    """Posts of the staff member's own subtree (not the home street's, which they only see
    to apply for)."""
    return Post.objects.visible_to(user, "change")


def _holding(request: HttpRequest, pk: int) -> PostHolding:
    user: Any = request.user
    holding = (
        PostHolding.objects.filter(pk=pk)
        .filter(Q(user=user) | Q(post__in=_staff_posts(user)))
        .select_related("post")
        .first()
    )
    if holding is None:
        raise Http404("认岗记录不存在")
    return holding


@login_required
@require_POST
def holding_approve(request: HttpRequest, pk: int) -> HttpResponse:
    holding = _holding(request, pk)
    try:
        teams.approve(holding, actor=actor_of(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
        response = post_list(request)
        response.status_code = exc.status
        return response
    messages.success(request, f"已同意 {holding.user} 认领“{holding.post.title}”")
    return redirect("serve:posts")


@login_required
@require_POST
def holding_decline(request: HttpRequest, pk: int) -> HttpResponse:
    holding = _holding(request, pk)
    try:
        teams.decline(
            holding, actor=actor_of(request), reason=str(request.POST.get("reason") or "")[:300]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        response = post_list(request)
        response.status_code = exc.status
        return response
    messages.success(request, "已退回申请")
    return redirect("serve:posts")


@login_required
@require_POST
def holding_end(request: HttpRequest, pk: int) -> HttpResponse:
    holding = _holding(request, pk)
    try:
        teams.end(holding, actor=actor_of(request))
    except ServiceError as exc:
        return _fail(request, exc, "serve:me")
    messages.success(request, "已离岗")
    return redirect("serve:me")
