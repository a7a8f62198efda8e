"""Topics (议题): the community's list (those awaiting an answer first), raising one (a
resident for their community; staff for a community in their scope, or from a case by
its number), a topic's page with 附议 for neighbours and screening for the community
(受理, 合并, 不予受理), and publishing a resolution from an accepted topic."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Compound
from doorstep.core.ids import parse_id
from doorstep.deliberation import resolutions, topics
from doorstep.deliberation.errors import DeliberationError, NotAllowed
from doorstep.deliberation.models import Ballot, BallotStatus, Topic, TopicStatus

from .lists import narrowed

STATUSES = [("due", "待答复")] + [(s.value, s.label) for s in TopicStatus]


def _topic(user: Any, pk: Any) -> Topic:
    found = (
        Topic.objects.visible_to(user)
        .select_related("node", "compound", "merged_into", "case")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("议题不存在或无权查看")
    return found


def _communities(user: Any) -> list[Organisation]:
    """Communities staff may record a topic for."""
    if not user.has_perm(topics.RECORD):
        return []
    return [
        c
        for c in Organisation.objects.visible_to(user).filter(kind=Kind.COMMUNITY).order_by("name")
        if topics.may_record(user, c)
    ]


def _open_needs(user: Any, communities: list[Organisation]) -> list[Any]:
    """Open needs of the communities staff record topics for, newest first: one may
    become a topic when the community must decide on it together."""
    from doorstep.cogov.models import OPEN_NEED_STATUSES, Need

    if not communities or not user.has_perm("cogov.view_need"):
        return []
    q = Q()
    for c in communities:
        q |= Q(path__startswith=c.path)
    return list(
        Need.objects.visible_to(user)
        .select_related("node")
        .filter(q, status__in=OPEN_NEED_STATUSES)
        .exclude(
            pk__in=Topic.objects.exclude(status=TopicStatus.DECLINED)
            .filter(need__isnull=False)
            .values("need")
        )
        .order_by("-id")[:100]
    )


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = actor_of(request)
    field = "answered_at" if request.GET.get("by") == "answered" else "created_at"
    seen, asked = narrowed(
        request, user, Topic.objects.visible_to(user).select_related("node", "compound"), field
    )
    wanted = request.GET.get("status", "")
    if wanted == "due":
        shown = topics.awaiting_answer(seen)
    elif wanted in TopicStatus.values:
        shown = seen.filter(status=wanted)
    else:
        shown = seen
    home = topics.home_community(user)
    return render(
        request,
        "deliberation/topics.html",
        {
            "topics": shown[:200],
            "pending_count": shown.count(),
            "status": wanted,
            "asked": asked,
            "statuses": STATUSES,
            "awaiting": topics.awaiting_answer(seen).count(),
            "overdue": topics.overdue(seen).count(),
            "home": home,
            "compounds": Compound.objects.outside_door(
                "the compounds of the user's own community, to say where a topic is"
            )
            .filter(community=home)
            .order_by("name")
            if home
            else [],
            "communities": (communities := _communities(user)),
            "needs": _open_needs(user, communities),
            "seconds_to_answer": topics.SECONDS_TO_ANSWER,
            "answer_days": topics.ANSWER_DAYS,
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@login_required
@require_POST
def topic_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    try:
        if post.get("case_number"):
            from doorstep.cases.models import Case

            case = (
                Case.objects.visible_to(user)
                .filter(number=str(post.get("case_number")).strip()[:32])
                .first()
            )
            if case is None:
                raise DeliberationError("找不到该工单，或您无权查看", "case_number")
            topic = topics.from_case(actor=user, case=case)
        elif post.get("need"):
            need = next(
                (
                    n
                    for n in _open_needs(user, _communities(user))
                    if n.pk == parse_id(post.get("need"))
                ),
                None,
            )
            if need is None:
                raise DeliberationError("找不到该需求，或它已转为议题", "need")
            topic = topics.from_need(actor=user, need=need)
        else:
            topic = topics.raise_topic(
                actor=user,
                title=post.get("title"),
                detail=post.get("detail", ""),
                compound=post.get("compound") or None,
                node=post.get("node") or None,
            )
    except DeliberationError as exc:
        return _list(request, error=exc.message, status=exc.status)
    return redirect("deliberation:topic", pk=topic.pk)


def _detail(request: HttpRequest, topic: Topic, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    screens = topics.may_screen(user, topic)
    publishes = resolutions.may(user, resolutions.PUBLISH, topic.path)
    passed = []
    if publishes and topic.status in (TopicStatus.ACCEPTED, TopicStatus.DECIDED):
        passed = list(
            Ballot.objects.visible_to(user)
            .filter(compound__community=topic.node, status=BallotStatus.CLOSED, passed=True)
            .filter(resolution__isnull=True)
            .order_by("-closes_at")[:50]
        )
    return render(
        request,
        "deliberation/topic.html",
        {
            "topic": topic,
            "seconded": topic.seconders.filter(user=user).exists(),
            "may_second": topic.status == TopicStatus.OPEN
            and topic.raised_by_id != user.pk
            and topics.lives_in(user, topic),
            "mine": topic.raised_by_id == user.pk,
            "screens": screens and topic.status == TopicStatus.OPEN,
            "others": Topic.objects.visible_to(user)
            .filter(path=topic.path, status__in=[TopicStatus.OPEN, TopicStatus.ACCEPTED])
            .exclude(pk=topic.pk)[:100]
            if screens
            else [],
            "publishes": publishes and topic.status in (TopicStatus.ACCEPTED, TopicStatus.DECIDED),
            "passed": passed,
            "resolutions": topic.resolutions.order_by("-published_at"),
            "overdue": topic.answer_due is not None
            and topic.status == TopicStatus.OPEN
            and topic.answer_due < timezone.now(),
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _topic(actor_of(request), pk))


@login_required
@require_POST
def topic_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    topic = _topic(user, pk)
    post = request.POST
    try:
        if act == "second":
            topics.second(actor=user, topic=topic)
        elif act == "accept":
            topics.accept(actor=user, topic=topic, answer=post.get("answer", ""))
        elif act == "decline":
            topics.decline(actor=user, topic=topic, reason=post.get("reason", ""))
        elif act == "merge":
            into = Topic.objects.visible_to(user).filter(pk=parse_id(post.get("into")) or 0).first()
            topics.merge(actor=user, topic=topic, into=into, answer=post.get("answer", ""))
        else:  # resolve
            ballot = None
            if post.get("ballot"):
                ballot = (
                    Ballot.objects.visible_to(user).filter(pk=parse_id(post.get("ballot")) or 0)
                ).first()
                if ballot is None:
                    raise NotAllowed("表决不存在或无权查看")
            resolution = resolutions.publish(
                actor=user,
                title=post.get("title") or topic.title,
                text_=post.get("text"),
                topic=topic,
                ballot=ballot,
                notice_days=post.get("notice_days"),
            )
            return redirect("deliberation:resolution", pk=resolution.pk)
    except DeliberationError as exc:
        return _detail(request, _topic(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:topic", pk=topic.pk)
