"""JSON API of topics and resolutions (tag "deliberation"): the topics a caller sees (a
resident's community, staff's subtree and the community above their grid), raising one,
seconding, screening; the resolutions with their state and objections (objectors never
named), objecting and answering. Every read starts from `visible_to(user)`; a row outside
it answers 404. Refusals are the deliberation errors as JSON (400 / 403 / 409)."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema, Status

from doorstep.core.ids import MAX_ID
from doorstep.deliberation import resolutions, topics
from doorstep.deliberation.models import Objection, Resolution, Topic

router = Router(tags=["deliberation"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class TopicOut(Schema):
    id: int
    title: str
    detail: str
    community_id: int
    community: str
    compound_id: int | None
    source: str
    source_ref: str
    status: str
    seconds: int
    answer_due: dt.datetime | None
    answer: str
    answered_at: dt.datetime | None
    merged_into_id: int | None
    created_at: dt.datetime
    seconded_by_me: bool


class TopicIn(Schema):
    title: str = Field(..., max_length=200)
    detail: str = Field("", max_length=4000)
    compound_id: int | None = Field(None, ge=1, le=MAX_ID)
    community_id: int | None = Field(None, ge=1, le=MAX_ID)  # staff recording for a community


class ScreenIn(Schema):
    action: Literal["accept", "decline", "merge"]
    answer: str = Field("", max_length=1000)  # the answer, or the reason when declining
    into_id: int | None = Field(None, ge=1, le=MAX_ID)


class ObjectionOut(Schema):
    id: int
    text: str
    raised_at: dt.datetime
    mine: bool
    answer: str
    answered_at: dt.datetime | None


class ResolutionOut(Schema):
    id: int
    title: str
    text: str
    community_id: int
    topic_id: int | None
    ballot_id: int | None
    published_at: dt.datetime
    notice_ends: dt.datetime
    state: str
    action: str
    project_id: int | None
    case_number: str | None
    need_id: int | None
    done_at: dt.datetime | None
    objections: list[ObjectionOut]


class TextIn(Schema):
    text: str = Field(..., max_length=1000)


class AnswerIn(Schema):
    objection_id: int = Field(..., ge=1, le=MAX_ID)
    answer: str = Field(..., max_length=1000)


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _topics(user: Any) -> Any:
    return Topic.objects.visible_to(user).select_related("node")


def topic_out(user: Any, t: Topic) -> dict[str, Any]:
    return {
        "id": t.pk,
        "title": t.title,
        "detail": t.detail,
        "community_id": t.node_id,
        "community": t.node.name,
        "compound_id": t.compound_id,
        "source": t.source,
        "source_ref": t.source_ref,
        "status": t.status,
        "seconds": t.seconds,
        "answer_due": t.answer_due,
        "answer": t.answer,
        "answered_at": t.answered_at,
        "merged_into_id": t.merged_into_id,
        "created_at": t.created_at,
        "seconded_by_me": t.seconders.filter(user=user).exists(),
    }


@router.get("/topics", response=list[TopicOut], summary="议题")
def list_topics(request: HttpRequest, status: str = "") -> Any:
    user = _actor(request)
    rows = _topics(user)
    if status:
        rows = rows.filter(status=status[:10])
    return [topic_out(user, t) for t in rows[:200]]


@router.post("/topics", response={201: TopicOut}, summary="提出议题（居民）或登记议题（工作人员）")
def raise_topic(request: HttpRequest, payload: TopicIn) -> Any:
    user = _actor(request)
    topic = topics.raise_topic(
        actor=user,
        title=payload.title,
        detail=payload.detail,
        compound=payload.compound_id,
        node=payload.community_id,
    )
    return Status(201, topic_out(user, _topics(user).get(pk=topic.pk)))


@router.get("/topics/{topic_id}", response=TopicOut, summary="一个议题")
def get_topic(request: HttpRequest, topic_id: PathId) -> Any:
    user = _actor(request)
    return topic_out(user, get_object_or_404(_topics(user), pk=topic_id))


@router.post("/topics/{topic_id}/second", response=TopicOut, summary="附议")
def second_topic(request: HttpRequest, topic_id: PathId) -> Any:
    user = _actor(request)
    topic = topics.second(actor=user, topic=get_object_or_404(_topics(user), pk=topic_id))
    return topic_out(user, _topics(user).get(pk=topic.pk))


@router.post("/topics/{topic_id}/screen", response=TopicOut, summary="受理、合并或不予受理")
def screen_topic(request: HttpRequest, topic_id: PathId, payload: ScreenIn) -> Any:
    user = _actor(request)
    topic = get_object_or_404(_topics(user), pk=topic_id)
    if payload.action == "accept":
        topics.accept(actor=user, topic=topic, answer=payload.answer)
    elif payload.action == "decline":
        topics.decline(actor=user, topic=topic, reason=payload.answer)
    else:
        into = _topics(user).filter(pk=payload.into_id or 0).first()
        topics.merge(actor=user, topic=topic, into=into, answer=payload.answer)
    return topic_out(user, _topics(user).get(pk=topic.pk))


def _resolutions(user: Any) -> Any:
    return Resolution.objects.visible_to(user).select_related("case", "need")


def resolution_out(user: Any, r: Resolution) -> dict[str, Any]:
    return {
        "id": r.pk,
        "title": r.title,
        "text": r.text,
        "community_id": r.node_id,
        "topic_id": r.topic_id,
        "ballot_id": r.ballot_id,
        "published_at": r.published_at,
        "notice_ends": r.notice_ends,
        "state": resolutions.state_of(r),
        "action": r.action,
        "project_id": r.project_id,
        "case_number": r.case.number if r.case is not None else None,
        "need_id": r.need_id,
        "done_at": r.done_at,
        "objections": [
            {
                "id": o.pk,
                "text": o.text,
                "raised_at": o.raised_at,
                "mine": o.raised_by_id == user.pk,
                "answer": o.answer,
                "answered_at": o.answered_at,
            }
            for o in r.objections.all()
        ],
    }


@router.get("/resolutions", response=list[ResolutionOut], summary="决议公示")
def list_resolutions(request: HttpRequest) -> Any:
    user = _actor(request)
    rows = _resolutions(user).prefetch_related("objections")[:200]
    return [resolution_out(user, r) for r in rows]


@router.get("/resolutions/{resolution_id}", response=ResolutionOut, summary="一项决议")
def get_resolution(request: HttpRequest, resolution_id: PathId) -> Any:
    user = _actor(request)
    return resolution_out(user, get_object_or_404(_resolutions(user), pk=resolution_id))


@router.post(
    "/resolutions/{resolution_id}/objections", response={201: ResolutionOut}, summary="提出异议"
)
def object_to(request: HttpRequest, resolution_id: PathId, payload: TextIn) -> Any:
    user = _actor(request)
    resolution = get_object_or_404(_resolutions(user), pk=resolution_id)
    resolutions.object_to(actor=user, resolution=resolution, text_=payload.text)
    return Status(201, resolution_out(user, _resolutions(user).get(pk=resolution.pk)))


@router.post("/resolutions/{resolution_id}/answers", response=ResolutionOut, summary="答复异议")
def answer(request: HttpRequest, resolution_id: PathId, payload: AnswerIn) -> Any:
    user = _actor(request)
    resolution = get_object_or_404(_resolutions(user), pk=resolution_id)
    objection = get_object_or_404(
        Objection.objects.filter(resolution=resolution), pk=payload.objection_id
    )
    resolutions.answer(actor=user, objection=objection, text_=payload.answer)
    return resolution_out(user, _resolutions(user).get(pk=resolution.pk))
