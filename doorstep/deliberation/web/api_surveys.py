"""JSON API of surveys (tag "deliberation"): the surveys a caller sees (staff: their area's;
a resident: the open ones put to them, and whether they have answered), one survey with
its questions and conditions, answering it, and its results for staff who may count them.
Every read starts from `visible_to(user)`; a survey outside it is 404. Refusals are the
deliberation errors as JSON (400 / 403 / 409), and leave nothing written."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema, Status

from doorstep.core.ids import MAX_ID
from doorstep.deliberation import survey_results, surveys
from doorstep.deliberation.models import Survey, SurveyStatus

router = Router(tags=["deliberation"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class QuestionOut(Schema):
    id: int
    position: int
    kind: str
    text: str
    options: list[str]
    rows: list[str]
    scale: int
    required: bool
    show_if: int | None  # shown only when this question …
    show_if_options: list[int]  # … was answered with one of these options (from 0)


class SurveyOut(Schema):
    id: int
    title: str
    intro: str
    node: str
    audience: str
    per: str
    tag: str
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    link: str
    answered: bool


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]


class AnswersIn(Schema):
    # "q<id>": an option's number, a list of them, stars, a text, or {row: option} for a matrix
    answers: dict[str, Any] = Field(..., max_length=60)


class ResponseOut(Schema):
    id: int
    survey_id: int
    submitted_at: dt.datetime


class QuestionResultOut(Schema):
    id: int
    position: int
    kind: str
    text: str
    answered: int
    options: list[str]
    counts: list[int]
    matrix: list[list[int]]
    average: float | None
    texts: list[dict[str, Any]]  # {"text", "count"}: free text grouped


class ResultsOut(Schema):
    survey_id: int
    responses: int
    online: int
    paper: int
    audience: int | None
    questions: list[QuestionResultOut]


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _visible(user: Any) -> Any:
    return Survey.objects.visible_to(user).select_related("node").distinct()


def survey_out(s: Survey, user: Any, answered: bool | None = None) -> dict[str, Any]:
    return {
        "id": s.pk,
        "title": s.title,
        "intro": s.intro,
        "node": s.node.name,
        "audience": s.audience,
        "per": s.per,
        "tag": s.tag,
        "status": s.status,
        "opens_at": s.opens_at,
        "closes_at": s.closes_at,
        "link": f"/s/{s.token}/",
        "answered": surveys.answered(user, s) if answered is None else answered,
    }


@router.get("/surveys", response=list[SurveyOut], summary="问卷")
def list_surveys(request: HttpRequest) -> Any:
    user = _actor(request)
    rows = list(_visible(user).exclude(status=SurveyStatus.DRAFT)[:200])
    if not (user.has_perm(surveys.PAPER) or user.has_perm(surveys.DRAW_UP)):
        put = surveys.answerable(user, [s for s in rows if s.status == SurveyStatus.OPEN])
        return [survey_out(s, user, done) for s, done in put]
    done_each = surveys.answered_each(user, rows)  # two queries for the whole list
    return [survey_out(s, user, done_each[s.pk]) for s in rows]


@router.get("/surveys/{survey_id}", response=SurveyDetailOut, summary="一份问卷及其题目")
def get_survey(request: HttpRequest, survey_id: PathId) -> Any:
    user = _actor(request)
    s = get_object_or_404(_visible(user), pk=survey_id)
    questions = [
        {
            "id": q.pk,
            "position": q.position,
            "kind": q.kind,
            "text": q.text,
            "options": q.options,
            "rows": q.rows,
            "scale": q.scale,
            "required": q.required,
            "show_if": q.show_if_id,
            "show_if_options": q.show_if_options,
        }  # fmt: skip
        for q in s.questions.order_by("position")
    ]
    return {**survey_out(s, user), "questions": questions}


@router.post(
    "/surveys/{survey_id}/responses", response={201: ResponseOut}, summary="填写问卷（居民）"
)
def answer(request: HttpRequest, survey_id: PathId, payload: AnswersIn) -> Any:
    user = _actor(request)
    s = get_object_or_404(_visible(user), pk=survey_id)
    response = surveys.answer(actor=user, survey=s, answers=payload.answers)
    return Status(
        201, {"id": response.pk, "survey_id": s.pk, "submitted_at": response.submitted_at}
    )


@router.get("/surveys/{survey_id}/results", response=ResultsOut, summary="问卷结果")
def results(request: HttpRequest, survey_id: PathId) -> Any:
    user = _actor(request)
    s = get_object_or_404(_visible(user), pk=survey_id)
    res = survey_results.results(actor=user, survey=s)
    return {
        "survey_id": s.pk,
        "responses": res.responses,
        "online": res.online,
        "paper": res.paper,
        "audience": res.audience,
        "questions": [
            {
                "id": r.question.pk,
                "position": r.question.position,
                "kind": r.question.kind,
                "text": r.question.text,
                "answered": r.answered,
                "options": r.labels,
                "counts": r.counts,
                "matrix": r.matrix,
                "average": r.average,
                "texts": [{"text": g.text, "count": g.count} for g in r.groups],
            }  # fmt: skip
            for r in res.questions
        ],
    }
