"""议题: raising a topic (a resident for their own community; staff for a community they
keep, or from a case or a need), seconding it (附议: one second a resident, residents of
the community only), and screening it (受理, 合并, 不予受理 with a reason the proposer
sees). The first screening is the community's answer; a topic whose seconds reach
`SECONDS_TO_ANSWER` must be answered within `ANSWER_DAYS` days.

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` with a
Chinese message and the field at fault, and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Compound
from doorstep.core import audit
from doorstep.core.access import prefixes, scope_of
from doorstep.core.ids import parse_id

from .clean import text
from .errors import Conflict, DeliberationError, NotAllowed
from .models import Topic, TopicSecond, TopicSource, TopicStatus

SECONDS_TO_ANSWER: int = getattr(settings, "DELIBERATION_SECONDS_TO_ANSWER", 10)
ANSWER_DAYS: int = getattr(settings, "DELIBERATION_ANSWER_DAYS", 15)
MAX_OPEN_PER_RESIDENT = 5
SCREEN = "deliberation.change_topic"
RECORD = "deliberation.add_topic"


def home_community(user: Actor) -> Organisation | None:
    """The community the user lives in (their resident record's grid's community)."""
    resident = (
        Resident.objects.filter(user=user, grid__isnull=False)
        .select_related("grid__parent")
        .first()
    )
    grid = resident.grid if resident is not None else None
    if grid is None or grid.parent is None or grid.parent.kind != Kind.COMMUNITY:
        return None
    return grid.parent


def lives_in(user: Actor, topic: Topic) -> bool:
    return Resident.objects.filter(user=user, grid__path__startswith=topic.path).exists()


def may_screen(user: Actor, topic: Topic) -> bool:
    return bool(user.has_perm(SCREEN)) and scope_of(user, SCREEN).covers(topic.path)


def may_record(user: Actor, community: Organisation) -> bool:
    """Staff whose scope holds the community or a grid of it (a grid worker on patrol)."""
    if not user.has_perm(RECORD):
        return False
    scope = scope_of(user, RECORD)
    return scope.covers(community.path) or any(p.startswith(community.path) for p in scope.paths)


def _compound(value: Any, community: Organisation) -> Compound | None:
    if value in (None, ""):
        return None
    found = value if isinstance(value, Compound) else None
    if found is None:
        found = Compound.objects.filter(pk=parse_id(value) or 0).first()
    if found is None or found.community_id != community.pk:
        raise DeliberationError("请选择本社区的小区", "compound")
    return found


def _create(
    *,
    actor: Actor,
    community: Organisation,
    title: Any,
    detail: Any,
    compound: Any = None,
    source: str = TopicSource.RESIDENT,
    source_ref: str = "",
    **links: Any,
) -> Topic:
    topic = Topic.objects.create(
        node=community,
        path=community.path,
        compound=_compound(compound, community),
        title=text(title, "title", "议题", 60),
        detail=text(detail, "detail", "说明", 2000, required=False),
        source=source,
        source_ref=source_ref[:60],
        raised_by=actor,
        created_at=timezone.now(),
        **links,
    )
    audit.record(actor=actor, action="create", target=topic, detail={"source": source})
    return topic


@transaction.atomic
def raise_topic(
    *, actor: Actor, title: Any, detail: Any = "", compound: Any = None, node: Any = None
) -> Topic:
    """A resident raises a topic for their own community; staff who screen topics may
    record one for a community in their scope (a topic heard at the door, on patrol)."""
    if node is not None and actor.has_perm(RECORD):
        community = node if isinstance(node, Organisation) else None
        if community is None:
            community = Organisation.objects.filter(pk=parse_id(node) or 0).first()
        if community is None or community.kind != Kind.COMMUNITY:
            raise DeliberationError("请选择社区", "node")
        if not may_record(actor, community):
            raise NotAllowed("您不能为该社区登记议题")
        return _create(
            actor=actor,
            community=community,
            title=title,
            detail=detail,
            compound=compound,
            source=TopicSource.VISIT,
            source_ref="工作人员登记",
        )
    community = home_community(actor)
    if community is None:
        raise NotAllowed("只有登记了住址的居民可以提出议题")
    if (
        Topic.objects.filter(raised_by=actor, status=TopicStatus.OPEN).count()
        >= MAX_OPEN_PER_RESIDENT
    ):
        raise DeliberationError(f"每位居民同时最多有{MAX_OPEN_PER_RESIDENT}个待受理的议题", "title")
    return _create(actor=actor, community=community, title=title, detail=detail, compound=compound)


def _community_of(path: str) -> Organisation | None:
    """The community at or above a path."""
    return (
        Organisation.objects.filter(path__in=prefixes(path), kind=Kind.COMMUNITY)
        .order_by("-depth")
        .first()
    )


@transaction.atomic
def from_case(*, actor: Actor, case: Any, title: Any = None, detail: Any = None) -> Topic:
    """A case that needs a collective decision becomes a topic of its community."""
    from doorstep.cases.models import Case

    if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotAllowed("您不能查看该工单")
    community = _community_of(case.territory_path)
    if community is None:
        raise DeliberationError("该工单不属于某个社区，无法转为议题")
    if not may_record(actor, community):
        raise NotAllowed("您不能为该社区登记议题")
    if Topic.objects.filter(case=case).exclude(status=TopicStatus.DECLINED).exists():
        raise Conflict("该工单已转为议题")
    return _create(
        actor=actor,
        community=community,
        title=title if title not in (None, "") else case.title,
        detail=detail if detail is not None else case.description[:2000],
        source=TopicSource.CASE,
        source_ref=f"工单 {case.number}",
        case=case,
    )


@transaction.atomic
def from_need(*, actor: Actor, need: Any) -> Topic:
    """A need on the list that the community must decide on together becomes a topic."""
    community = _community_of(need.path)
    if community is None or not may_record(actor, community):
        raise NotAllowed("您不能为该社区登记议题")
    if Topic.objects.filter(need=need).exclude(status=TopicStatus.DECLINED).exists():
        raise Conflict("该需求已转为议题")
    return _create(
        actor=actor,
        community=community,
        title=need.title,
        detail=need.detail,
        source=TopicSource.NEED,
        source_ref=f"需求 {need.pk}",
        need=need,
    )


@transaction.atomic
def second(*, actor: Actor, topic: Topic) -> Topic:
    """A resident of the community seconds an open topic, once (not their own)."""
    locked = Topic.objects.select_for_update().get(pk=topic.pk)
    if locked.status != TopicStatus.OPEN:
        raise Conflict("该议题已受理完毕，不再征集附议")
    if not lives_in(actor, locked):
        raise NotAllowed("只有本社区的居民可以附议")
    if locked.raised_by_id == actor.pk:
        raise DeliberationError("不能附议自己提出的议题")
    try:
        with transaction.atomic():
            TopicSecond.objects.create(topic=locked, user=actor, at=timezone.now())
    except IntegrityError:
        raise Conflict("您已经附议过这个议题") from None
    Topic.objects.filter(pk=locked.pk).update(seconds=F("seconds") + 1)
    locked.refresh_from_db()
    if locked.seconds >= SECONDS_TO_ANSWER and locked.answer_due is None:
        locked.answer_due = timezone.now() + dt.timedelta(days=ANSWER_DAYS)
        locked.save(update_fields=["answer_due"])
    return locked


def _screening(actor: Actor, topic: Topic) -> Topic:
    locked = Topic.objects.select_for_update().get(pk=topic.pk)
    if not may_screen(actor, locked):
        raise NotAllowed("您不能受理该社区的议题")
    if locked.status != TopicStatus.OPEN:
        raise Conflict("该议题已受理完毕")
    return locked


def _answer(actor: Actor, topic: Topic, status: str, answer: str, **more: Any) -> Topic:
    topic.status, topic.answer = status, answer
    topic.answered_at, topic.answered_by = timezone.now(), actor
    for name, value in more.items():
        setattr(topic, name, value)
    topic.save(update_fields=["status", "answer", "answered_at", "answered_by", *more])
    audit.record(actor=actor, action="update", target=topic, detail={"status": status})
    return topic


@transaction.atomic
def accept(*, actor: Actor, topic: Topic, answer: Any = "") -> Topic:
    """受理: the topic goes on a council's agenda (or to an owners' vote)."""
    locked = _screening(actor, topic)
    note = text(answer, "answer", "答复", 500, required=False) or "已受理，将提交议事会协商。"
    return _answer(actor, locked, TopicStatus.ACCEPTED, note)


@transaction.atomic
def decline(*, actor: Actor, topic: Topic, reason: Any) -> Topic:
    """不予受理, with a reason the proposer and the seconders see."""
    locked = _screening(actor, topic)
    return _answer(actor, locked, TopicStatus.DECLINED, text(reason, "reason", "不予受理原因", 500))


@transaction.atomic
def merge(*, actor: Actor, topic: Topic, into: Any, answer: Any = "") -> Topic:
    """合并: the topic is the same as another of the community, which carries on."""
    locked = _screening(actor, topic)
    target = into if isinstance(into, Topic) else None
    if target is None:
        target = Topic.objects.filter(pk=parse_id(into) or 0).first()
    if target is None or target.pk == locked.pk or target.path != locked.path:
        raise DeliberationError("请选择本社区的另一个议题", "into")
    if target.status in (TopicStatus.MERGED, TopicStatus.DECLINED):
        raise DeliberationError("只能并入待受理或已受理的议题", "into")
    note = text(answer, "answer", "答复", 500, required=False) or f"已并入议题“{target.title}”。"
    return _answer(actor, locked, TopicStatus.MERGED, note, merged_into=target)


def overdue(topics: QuerySet[Topic], now: dt.datetime | None = None) -> QuerySet[Topic]:
    """Topics whose answer is due and not given."""
    return topics.filter(status=TopicStatus.OPEN, answer_due__lt=now or timezone.now())


def awaiting_answer(topics: QuerySet[Topic]) -> QuerySet[Topic]:
    """Open topics with enough seconds that must be answered (due first)."""
    return topics.filter(Q(status=TopicStatus.OPEN) & Q(answer_due__isnull=False)).order_by(
        "answer_due"
    )
