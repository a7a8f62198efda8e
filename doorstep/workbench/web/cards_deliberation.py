"""Workbench cards of deliberation: the owners' votes waiting for the user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from .cards import Card, Row, kept, kept_card


def ballots_to_vote(user: Any) -> Card | None:
    """An owner or proxy: the open votes with a home of theirs not yet voted."""
    from doorstep.atlas.people.models import Holding
    from doorstep.deliberation import ballots

    if not user.has_perm("deliberation.view_ballot"):
        return None
    if not Holding.objects.visible_to(user).filter(resident__user=user).exists():
        return None
    pending = ballots.pending_for(user)
    url = reverse("deliberation:ballots") + "?mine=1"
    rows = [
        Row(b.title, reverse("deliberation:ballot", args=[b.pk]),
            f"{timezone.localtime(b.closes_at):%m-%d %H:%M} 截止")
        for b in pending[:5]
    ]  # fmt: skip
    return Card("ballots", "待我表决", url, count=len(pending), rows=rows,
                hint="小区业主共同决定事项，每户一票")  # fmt: skip


def topics_to_answer(user: Any) -> Card | None:
    """Staff who screen topics: the open topics of their communities, those whose answer
    is due (enough seconds) first, the overdue marked."""
    from doorstep.deliberation import topics
    from doorstep.deliberation.models import Topic, TopicStatus

    if not user.has_perm(topics.SCREEN):
        return None
    screened = Topic.objects.visible_to(user).filter(status=TopicStatus.OPEN)
    now = timezone.now()
    due = list(topics.awaiting_answer(screened)[:5])
    rest = list(screened.filter(answer_due__isnull=True).order_by("-seconds", "created_at")[:5])
    rows = [
        Row(t.title, reverse("deliberation:topic", args=[t.pk]),
            f"{t.seconds}人附议 · {timezone.localtime(t.answer_due):%m-%d} 前答复",
            "overdue" if t.answer_due < now else "soon")
        for t in due
        if t.answer_due is not None
    ] + [
        Row(t.title, reverse("deliberation:topic", args=[t.pk]), f"{t.seconds}人附议")
        for t in rest
    ]  # fmt: skip
    return Card("topics", "待受理议题", reverse("deliberation:topics") + "?status=open",
                count=screened.count(), rows=rows[:5],
                hint="附议满人数的议题须按期答复")  # fmt: skip


@kept_card
def topics_near(user: Any) -> Card | None:
    """A resident: the open topics of their community to second, and a way to raise one."""
    from doorstep.deliberation import topics
    from doorstep.deliberation.models import Topic, TopicStatus

    if topics.home_community(user) is None:
        return None
    open_ = Topic.objects.visible_to(user).filter(status=TopicStatus.OPEN)
    rows = [
        Row(t.title, reverse("deliberation:topic", args=[t.pk]), f"{t.seconds}人附议")
        for t in open_.order_by("-seconds", "-created_at")[:3]
    ]
    return Card("topics_near", "社区议题", reverse("deliberation:topics") + "?status=open", count=open_.count(),
                rows=rows, hint="提出议题、附议邻居的议题")  # fmt: skip


def doors_to_knock(user: Any) -> Card | None:
    """A visitor of a running door-knocking campaign: the doors not yet reached, kept for
    the day (a campaign runs by days)."""
    return kept("doors_to_knock", user, timezone.localdate(), lambda: _doors_to_knock(user))


def _doors_to_knock(user: Any) -> Card | None:
    from doorstep.deliberation import campaigns

    doors = campaigns.assigned_to(user)
    count = doors.count()
    if not count:
        return None
    rows = [
        Row(c.title, reverse("deliberation:campaign_doors", args=[c.pk]), f"{n} 户待走访")
        for c, n in _by_campaign(user, doors)
    ]
    return Card("doors", "敲门行动待走访", reverse("deliberation:campaigns"), count=count,
                rows=rows, hint="入户走访问需，随手记录")  # fmt: skip


def _by_campaign(user: Any, doors: Any) -> list[tuple[Any, int]]:
    from django.db.models import Count

    from doorstep.deliberation.models import Campaign

    counts = dict(doors.values_list("campaign").annotate(n=Count("id")).order_by())
    found = (
        Campaign.objects.visible_to(user)
        .filter(pk__in=counts)
        .distinct()
        .order_by("-starts_on")[:5]
    )
    return [(c, counts[c.pk]) for c in found]


def surveys_to_fill(user: Any) -> Card | None:
    """A resident: the open surveys put to them (or their household) not yet answered."""
    from doorstep.deliberation import surveys
    from doorstep.deliberation.models import Survey, SurveyStatus

    if not user.has_perm("deliberation.view_survey"):
        return None
    now = timezone.now()
    open_ = Survey.objects.visible_to(user).filter(
        status=SurveyStatus.OPEN, opens_at__lte=now, closes_at__gte=now
    )
    put = surveys.answerable(user, open_.distinct().order_by("closes_at")[:50])
    pending = [s for s, done in put if not done]
    if not pending:
        return None
    rows = [
        Row(s.title, reverse("deliberation:survey_answer", args=[s.token]),
            f"{timezone.localtime(s.closes_at):%m-%d} 截止")
        for s in pending[:3]
    ]  # fmt: skip
    return Card("surveys_to_fill", "待填问卷", reverse("deliberation:surveys"), count=len(pending),
                rows=rows, hint="社区征集意见，几分钟填完")  # fmt: skip


def surveys_running(user: Any) -> Card | None:
    """Staff who run surveys: the open ones of their area and how many have answered."""
    from django.db.models import Count

    from doorstep.deliberation import surveys
    from doorstep.deliberation.models import Survey, SurveyStatus

    if not user.has_perm(surveys.RUN):
        return None
    running = Survey.objects.visible_to(user).filter(status=SurveyStatus.OPEN).distinct()
    count = running.count()
    rows = [
        Row(s.title, reverse("deliberation:survey", args=[s.pk]), f"已收 {s.n} 份")  # type: ignore[attr-defined]
        for s in running.annotate(n=Count("responses", distinct=True)).order_by("closes_at")[:3]
    ]
    return Card("surveys", "问卷收集中", reverse("deliberation:surveys") + "?status=open",
                count=count, rows=rows, hint="扫码填写与纸质录入一并统计")  # fmt: skip
