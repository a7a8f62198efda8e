"""决议: publishing what a passed owners' vote or an accepted topic's deliberation decided,
the notice period (公示) with its objection channel, and carrying it out.

A resolution is published for `notice_days` (7 unless set, 1–30). Residents of the
community may object while it is in notice; staff answer each objection on record. Once
the notice is over and every objection is answered, staff carry it out as one action:
a 协商式治理项目 (the co-building domain's project lifecycle, through its own service), a
case (the cases service) or a need on the list. How the action ends is followed through
the lower domains' event logs (`deliberation/follow.py`), never the other way round.

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (400),
`NotAllowed` (403) or `Conflict` (409) and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov.errors import CogovError
from doorstep.core import audit
from doorstep.core.access import scope_of

from .clean import text
from .errors import Conflict, DeliberationError, NotAllowed, relayed
from .models import (
    ActionKind,
    AgendaItem,
    Ballot,
    BallotStatus,
    Objection,
    Outcome,
    Resolution,
    Topic,
    TopicStatus,
)
from .topics import lives_in

NOTICE_DAYS = 7
MAX_NOTICE_DAYS = 30
PUBLISH = "deliberation.add_resolution"
KEEP = "deliberation.change_resolution"
MAX_OPEN_OBJECTIONS = 3  # unanswered, per resident and resolution


def may(user: Actor, perm: str, path: str) -> bool:
    return bool(user.has_perm(perm)) and scope_of(user, perm).covers(path)


def _days(value: Any) -> int:
    raw = str(value if value not in (None, "") else NOTICE_DAYS).strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_NOTICE_DAYS:
        raise DeliberationError(f"公示期为1至{MAX_NOTICE_DAYS}天", "notice_days")
    return int(raw)


@transaction.atomic
def publish(
    *,
    actor: Actor,
    title: Any,
    text_: Any,
    topic: Topic | None = None,
    ballot: Ballot | None = None,
    item: AgendaItem | None = None,
    notice_days: Any = None,
) -> Resolution:
    """Publish a resolution of an accepted topic, a meeting's decision on it (signed
    minutes, adopted) and/or a passed owners' vote."""
    if item is not None:
        item = AgendaItem.objects.select_related("meeting", "topic").get(pk=item.pk)
        if item.meeting.signed_at is None or item.outcome != Outcome.ADOPTED:
            raise DeliberationError("只有纪要已签发、协商通过的议题可以形成决议", "item")
        if Resolution.objects.filter(item=item).exists():
            raise Conflict("该议题的协商结果已形成决议")
        if topic is not None and topic.pk != item.topic_id:
            raise DeliberationError("议题与会议决定不一致", "topic")
        topic = item.topic
    if topic is None and ballot is None:
        raise DeliberationError("请选择决议所依据的议题或表决", "topic")
    community: Organisation | None = None
    if ballot is not None:
        ballot = (
            Ballot.objects.select_for_update()
            .select_related("compound__community")
            .get(pk=ballot.pk)
        )
        if ballot.status != BallotStatus.CLOSED or not ballot.passed:
            raise DeliberationError("只有已结束并通过的表决可以形成决议", "ballot")
        if Resolution.objects.filter(ballot=ballot).exists():
            raise Conflict("该表决已形成决议")
        community = ballot.compound.community
    if topic is not None:
        topic = Topic.objects.select_for_update().select_related("node").get(pk=topic.pk)
        if topic.status not in (TopicStatus.ACCEPTED, TopicStatus.DECIDED):
            raise DeliberationError("只有已受理的议题可以形成决议", "topic")
        if community is not None and topic.node_id != community.pk:
            raise DeliberationError("议题与表决不在同一社区", "topic")
        community = topic.node
    assert community is not None
    if not may(actor, PUBLISH, community.path):
        raise NotAllowed("您不能发布该社区的决议")
    now = timezone.now()
    resolution = Resolution.objects.create(
        node=community,
        path=community.path,
        title=text(title, "title", "决议事项", 60),
        text=text(text_, "text", "决议内容", 2000),
        topic=topic,
        ballot=ballot,
        item=item,
        published_at=now,
        notice_ends=now + dt.timedelta(days=_days(notice_days)),
        published_by=actor,
    )
    if topic is not None and topic.status != TopicStatus.DECIDED:
        topic.status = TopicStatus.DECIDED
        topic.save(update_fields=["status"])
    audit.record(actor=actor, action="create", target=resolution)
    return resolution


@transaction.atomic
def object_to(*, actor: Actor, resolution: Resolution, text_: Any) -> Objection:
    """A resident of the community objects while the resolution is in notice."""
    locked = Resolution.objects.select_for_update().get(pk=resolution.pk)
    if not locked.in_notice():
        raise Conflict("公示期已结束，不能再提出异议")
    if not lives_in(actor, locked):  # type: ignore[arg-type]
        raise NotAllowed("只有本社区的居民可以提出异议")
    if (
        locked.objections.filter(raised_by=actor, answered_at__isnull=True).count()
        >= MAX_OPEN_OBJECTIONS
    ):
        raise DeliberationError(f"您已有{MAX_OPEN_OBJECTIONS}条异议待答复", "text")
    objection = Objection.objects.create(
        resolution=locked,
        text=text(text_, "text", "异议", 500),
        raised_by=actor,
        raised_at=timezone.now(),
    )
    audit.record(actor=actor, action="create", target=objection)
    return objection


@transaction.atomic
def answer(*, actor: Actor, objection: Objection, text_: Any) -> Objection:
    """Staff answer an objection on record (once)."""
    locked = Objection.objects.select_for_update().select_related("resolution").get(pk=objection.pk)
    if not may(actor, KEEP, locked.resolution.path):
        raise NotAllowed("您不能答复该社区的异议")
    if locked.answered_at is not None:
        raise Conflict("该异议已答复")
    locked.answer = text(text_, "answer", "答复", 500)
    locked.answered_by, locked.answered_at = actor, timezone.now()
    locked.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record(actor=actor, action="update", target=locked, detail={"answered": True})
    return locked


def why_not_act(resolution: Resolution, now: dt.datetime | None = None) -> str | None:
    """Why the resolution cannot be carried out yet (None: it can)."""
    if resolution.action:
        return "该决议已落实"
    if resolution.in_notice(now):
        return "决议仍在公示期内，公示期满后才能落实"
    if resolution.objections.filter(answered_at__isnull=True).exists():
        return "还有异议未答复，请先答复"
    return None


def _acting(actor: Actor, resolution: Resolution) -> Resolution:
    locked = Resolution.objects.select_for_update().select_related("node").get(pk=resolution.pk)
    if not may(actor, KEEP, locked.path):
        raise NotAllowed("您不能落实该社区的决议")
    if reason := why_not_act(locked):
        raise Conflict(reason) if locked.action else DeliberationError(reason)
    return locked


def _acted(actor: Actor, resolution: Resolution, kind: str, **target: Any) -> Resolution:
    resolution.action, resolution.acted_at = kind, timezone.now()
    for name, value in target.items():
        setattr(resolution, name, value)
    resolution.save(update_fields=["action", "acted_at", *target])
    audit.record(actor=actor, action="update", target=resolution, detail={"action": kind})
    return resolution


def _basis(resolution: Resolution) -> str:
    return (
        f"依据决议“{resolution.title}”（{timezone.localdate(resolution.published_at):%Y-%m-%d}"
        f"发布，公示至{timezone.localdate(resolution.notice_ends):%Y-%m-%d}）：{resolution.text}"
    )[:2000]


@transaction.atomic
def start_project(
    *,
    actor: Actor,
    resolution: Resolution,
    starts_on: Any,
    ends_on: Any,
    partners: list[Organisation] | None = None,
) -> Resolution:
    """Carry the resolution out as a 协商式治理项目 of its community (申报 stage)."""
    from doorstep.cogov import projects
    from doorstep.cogov.models import ProjectKind

    locked = _acting(actor, resolution)
    try:
        project = projects.propose(
            actor=actor,
            node=locked.node,
            title=locked.title,
            starts_on=starts_on,
            ends_on=ends_on,
            kind=ProjectKind.CONSULTATIVE,
            summary=_basis(locked),
            partners=partners,
        )
    except CogovError as exc:
        raise relayed(exc) from exc
    return _acted(actor, locked, ActionKind.PROJECT, project=project)


@transaction.atomic
def open_case(*, actor: Actor, resolution: Resolution, category: Any) -> Resolution:
    """Carry the resolution out as a case for the community (filed by staff)."""
    from doorstep.cogov.services import file_case

    locked = _acting(actor, resolution)
    try:
        case = file_case(
            actor=actor,
            category=category,
            description=_basis(locked),
            node=locked.node,
            title=f"决议落实：{locked.title}"[:120],
            accepted=True,
        )
    except CogovError as exc:
        raise relayed(exc) from exc
    return _acted(actor, locked, ActionKind.CASE, case=case)


@transaction.atomic
def list_need(*, actor: Actor, resolution: Resolution, field: Any, wants: Any) -> Resolution:
    """Carry the resolution out as a need on the community's list (for a unit to take)."""
    from doorstep.cogov.services import record_need

    locked = _acting(actor, resolution)
    try:
        need = record_need(
            actor=actor,
            node=locked.node,
            title=locked.title,
            field=field,
            wants=wants,
            detail=_basis(locked)[:1000],
        )
    except CogovError as exc:
        raise relayed(exc) from exc
    return _acted(actor, locked, ActionKind.NEED, need=need)


def state_of(resolution: Resolution, now: dt.datetime | None = None) -> str:
    """公示中 / 待落实 / 落实中 / 已办结, for lists and the cockpit."""
    if resolution.done_at is not None or (
        resolution.action == ActionKind.NEED
        and resolution.need is not None
        and resolution.need.met_at is not None
    ):
        return "已办结"
    if resolution.action:
        return "落实中"
    return "公示中" if resolution.in_notice(now) else "待落实"
