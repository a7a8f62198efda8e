"""问卷: drawing up a survey (its questions, conditions and audience), opening and closing
it, answering it (online by a resident of its audience, or anyone holding the QR link of a
public one; or from paper, entered by staff for a household or resident they keep), and
turning a suggestion in it into a topic. One response per resident or per household, even
from two browsers at once (a unique key per survey). An answer to a question its
condition hides is refused, as is a required question left empty.

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (400),
`NotAllowed` (403) or `Conflict` (409) and leaves nothing written. Results and the Excel
export live in `survey_results.py`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import TAG_LABELS, Resident
from doorstep.core import audit
from doorstep.core.access import scope_of
from doorstep.core.ids import parse_id

from .clean import choice, moment, text
from .errors import Conflict, DeliberationError, NotAllowed
from .models import (
    Answer,
    Audience,
    Per,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
    Topic,
    TopicSource,
)

DRAW_UP = "deliberation.add_survey"
RUN = "deliberation.change_survey"
PAPER = "deliberation.add_response"
RESULTS = "deliberation.view_response"
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_ROWS = 20
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


def may(user: Actor, perm: str, survey: Survey) -> bool:
    return bool(user.has_perm(perm)) and scope_of(user, perm).covers(survey.path)


def _lines(value: Any, field: str, label: str, limit: int) -> list[str]:
    """Options or rows: a list, or text with one per line; each clean, none twice."""
    items = value if isinstance(value, list | tuple) else str(value or "").splitlines()
    out: list[str] = []
    for item in items:
        clean = text(item, field, label, 60, required=False)
        if clean and clean not in out:
            out.append(clean)
    if len(out) > limit:
        raise DeliberationError(f"{label}最多{limit}个", field)
    return out


@transaction.atomic
def draw_up(
    *,
    actor: Actor,
    node: Organisation | None,
    title: Any,
    opens_at: Any,
    closes_at: Any,
    intro: Any = "",
    audience: Any = Audience.RESIDENTS,
    per: Any = Per.RESIDENT,
    tag: Any = "",
) -> Survey:
    if node is None or node.kind not in (Kind.STREET, Kind.COMMUNITY, Kind.GRID):
        raise DeliberationError("请选择街道、社区或网格", "node")
    if not (actor.has_perm(DRAW_UP) and scope_of(actor, DRAW_UP).covers(node.path)):
        raise NotAllowed("您不能在该范围发起问卷")
    tag = str(tag or "").strip()
    if tag and tag not in TAG_LABELS:
        raise DeliberationError("请选择重点人群标签", "tag")
    first = moment(opens_at, "opens_at", "开始时间")
    last = moment(closes_at, "closes_at", "截止时间")
    if last <= first:
        raise DeliberationError("截止时间应晚于开始时间", "closes_at")
    survey = Survey.objects.create(
        title=text(title, "title", "问卷名称", 60),
        intro=text(intro, "intro", "说明", 500, required=False),
        node=node,
        path=node.path,
        audience=choice(audience, Audience, "audience", "填写对象"),
        per=choice(per, Per, "per", "填写份数"),
        tag=tag,
        token=secrets.token_urlsafe(12),
        opens_at=first,
        closes_at=last,
        created_by=actor,
        created_at=timezone.now(),
    )
    audit.record(actor=actor, action="create", target=survey)
    return survey


def _editable(actor: Actor, survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if not may(actor, RUN, locked):
        raise NotAllowed("您不能修改该问卷")
    if locked.status != SurveyStatus.DRAFT:
        raise Conflict("问卷已发布，题目不能再改")
    return locked


@transaction.atomic
def add_question(
    *,
    actor: Actor,
    survey: Survey,
    kind: Any,
    text_: Any,
    options: Any = (),
    rows: Any = (),
    scale: Any = 5,
    required: bool = True,
    show_if: Any = None,
    show_if_options: Iterable[Any] = (),
) -> Question:
    """A question at the end of the survey; shown only if `show_if` (an earlier single or
    multiple choice) was answered with one of `show_if_options` (their numbers, from 0)."""
    locked = _editable(actor, survey)
    count = locked.questions.count()
    if count >= MAX_QUESTIONS:
        raise DeliberationError(f"一份问卷最多{MAX_QUESTIONS}题", "kind")
    kind = choice(kind, QuestionKind, "kind", "题型")
    wording = text(text_, "text", "题目", 200)
    opts = _lines(options, "options", "选项", MAX_OPTIONS if kind != QuestionKind.MATRIX else 10)
    lines = _lines(rows, "rows", "矩阵行", MAX_ROWS) if kind == QuestionKind.MATRIX else []
    if kind in (*CHOICE_KINDS, QuestionKind.MATRIX) and len(opts) < 2:
        raise DeliberationError("选择题至少要有两个选项", "options")
    if kind == QuestionKind.MATRIX and not lines:
        raise DeliberationError("矩阵题至少要有一行", "rows")
    if kind in (QuestionKind.TEXT, QuestionKind.RATING):
        opts = []
    stars = _number(scale) if kind == QuestionKind.RATING else 5
    if stars is None or not 2 <= stars <= 10:
        raise DeliberationError("评分满分应在2到10之间", "scale")
    parent, when = None, []
    if show_if not in (None, ""):
        parent = show_if if isinstance(show_if, Question) else None
        if parent is None:
            parent = locked.questions.filter(pk=parse_id(show_if) or 0).first()
        if parent is None or parent.survey_id != locked.pk or parent.kind not in CHOICE_KINDS:
            raise DeliberationError("显示条件只能取本问卷前面的单选或多选题", "show_if")
        when = sorted({n for n in map(_number, show_if_options) if n is not None})
        if not when or any(o >= len(parent.options) for o in when):
            raise DeliberationError("请选择显示条件的选项", "show_if_options")
    question = Question.objects.create(
        survey=locked,
        position=count + 1,
        kind=kind,
        text=wording,
        options=opts,
        rows=lines,
        scale=stars,
        required=bool(required),
        show_if=parent,
        show_if_options=when,
    )
    return question


@transaction.atomic
def open_survey(*, actor: Actor, survey: Survey) -> Survey:
    locked = _editable(actor, survey)
    if not locked.questions.exists():
        raise DeliberationError("请先添加题目")
    locked.status = SurveyStatus.OPEN
    locked.save(update_fields=["status"])
    audit.record(actor=actor, action="update", target=locked, detail={"status": "open"})
    return locked


@transaction.atomic
def close_survey(*, actor: Actor, survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if not may(actor, RUN, locked):
        raise NotAllowed("您不能结束该问卷")
    if locked.status != SurveyStatus.OPEN:
        raise Conflict("问卷不在收集中")
    locked.status = SurveyStatus.CLOSED
    locked.save(update_fields=["status"])
    audit.record(actor=actor, action="update", target=locked, detail={"status": "closed"})
    return locked


# ---- answering -------------------------------------------------------------------------


def _residents_of(user: Actor, **within: Any) -> list[Resident]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Resident.objects.filter(user=user, **within).select_related("household", "grid"))


def _in_audience(residents: list[Resident], survey: Survey) -> Resident | None:
    """The first of the user's resident records in the survey's audience."""
    for resident in residents:
        if resident.grid is None or not resident.grid.path.startswith(survey.path):
            continue
        if not survey.tag or survey.tag in (resident.tags or []):
            return resident
    return None


def respondent(user: Actor, survey: Survey) -> Resident | None:
    """The user's resident record in the survey's audience (its node, and its tag)."""
    return _in_audience(_residents_of(user, grid__path__startswith=survey.path), survey)


def may_answer(user: Actor, survey: Survey) -> bool:
    return survey.audience == Audience.PUBLIC or respondent(user, survey) is not None


def answerable(user: Actor, found: Iterable[Survey]) -> list[tuple[Survey, bool]]:
    """The surveys among `found` the user may answer, each with whether they (or their
    household) have answered it: `may_answer` and `answered` for a whole list, in two
    queries however long it is."""
    residents = _residents_of(user)
    put = [
        s for s in found if s.audience == Audience.PUBLIC or _in_audience(residents, s) is not None
    ]
    done = _answered(user, residents, put)
    return [(s, done[s.pk]) for s in put]


def answered_each(user: Actor, found: Iterable[Survey]) -> dict[int, bool]:
    """`answered` for each of `found` (survey id → whether answered), in two queries
    however many there are."""
    return _answered(user, _residents_of(user), list(found))


def _answered(user: Actor, residents: list[Resident], found: list[Survey]) -> dict[int, bool]:
    """Whether the user (or their household) has answered each survey, in one query."""
    signed_in = user if getattr(user, "is_authenticated", False) else None
    keyed: dict[int, str] = {}
    for survey in found:
        try:
            keyed[survey.pk] = _key_of(survey, _in_audience(residents, survey), signed_in, "")
        except DeliberationError:
            continue  # nobody to answer as: not answered
    done: set[tuple[int, str]] = set()
    if keyed:
        given = Response.objects.filter(survey__in=list(keyed), key__in=set(keyed.values()))
        done = set(given.values_list("survey_id", "key"))
    return {s.pk: (s.pk, keyed.get(s.pk, "")) in done for s in found}


def shown(questions: list[Question], given: Mapping[int, Any]) -> set[int]:
    """The ids of the questions shown, given the choices made (question id → option
    numbers). A question is shown when it has no condition, or its condition's question is
    shown and was answered with one of the listed options."""
    visible: set[int] = set()
    for q in questions:
        if q.show_if_id is None:
            visible.add(q.pk)
        elif q.show_if_id in visible:
            value = given.get(q.show_if_id)
            values = value if isinstance(value, list | tuple | set) else [value]
            if {_number(v) for v in values} & set(q.show_if_options):
                visible.add(q.pk)
    return visible


@dataclass(frozen=True)
class Row:
    question: Question
    row: int | None = None
    choice: int | None = None
    text: str = ""


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _number(value: Any) -> int | None:
    """A small non-negative whole number (an option's number from 0, or stars), else None."""
    raw = str(value if value is not None and not isinstance(value, bool) else "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else None


def _index(value: Any, limit: int, field: str, label: str) -> int:
    found = _number(value)
    if found is None or not 0 <= found < limit:
        raise DeliberationError(f"{label}的选项无效", field)
    return found


def _rows_of(q: Question, value: Any, label: str) -> list[Row]:
    field = f"q{q.pk}"
    if q.kind == QuestionKind.SINGLE:
        return [Row(q, choice=_index(value, len(q.options), field, label))]
    if q.kind == QuestionKind.MULTIPLE:
        values = value if isinstance(value, list | tuple) else [value]
        picked = sorted({_index(v, len(q.options), field, label) for v in values})
        return [Row(q, choice=p) for p in picked]
    if q.kind == QuestionKind.RATING:
        stars = _number(value)
        if stars is None or not 1 <= stars <= q.scale:
            raise DeliberationError(f"{label}请打1到{q.scale}分", field)
        return [Row(q, choice=stars)]
    if q.kind == QuestionKind.MATRIX:
        if not isinstance(value, Mapping):
            raise DeliberationError(f"{label}请逐行选择", field)
        out = []
        for key, picked in value.items():
            row = _index(key, len(q.rows), field, label)
            if not _empty(picked):
                out.append(Row(q, row=row, choice=_index(picked, len(q.options), field, label)))
        if q.required and len(out) < len(q.rows):
            raise DeliberationError(f"{label}请逐行选择", field)
        return sorted(out, key=lambda r: r.row or 0)
    return [Row(q, text=text(value, field, label, 500))]


def read_answers(questions: list[Question], answers: Mapping[Any, Any]) -> list[Row]:
    """The answer rows for the questions, in order; refused (nothing written) when a hidden
    question is answered, a required shown one is not, or a value does not fit."""
    by_id = {q.pk: q for q in questions}
    given: dict[int, Any] = {}
    for key, value in answers.items():
        qid = parse_id(str(key).removeprefix("q"))
        if qid not in by_id:
            raise DeliberationError("答卷中有不属于本问卷的题目", "answers")
        given[qid] = value
    visible = shown(questions, given)
    rows: list[Row] = []
    for q in questions:
        label = f"第{q.position}题"
        value = given.get(q.pk)
        if q.pk not in visible:
            if not _empty(value):
                raise DeliberationError(f"{label}不适用于您前面的回答，请不要作答", f"q{q.pk}")
            continue
        if _empty(value):
            if q.required:
                raise DeliberationError(f"请回答{label}", f"q{q.pk}")
            continue
        rows += _rows_of(q, value, label)
    if not rows:
        raise DeliberationError("请至少回答一题", "answers")
    return rows


def _key_of(survey: Survey, resident: Resident | None, user: Actor | None, anon: str) -> str:
    if resident is not None:
        if survey.per == Per.HOUSEHOLD and resident.household_id:
            return f"h:{resident.household_id}"
        return f"r:{resident.pk}"
    if user is not None and getattr(user, "is_authenticated", False):
        return f"u:{user.pk}"
    if not anon or len(anon) > 36:
        raise DeliberationError("请在手机浏览器中打开问卷链接后填写", "answers")
    return f"a:{anon}"


def _write(
    survey: Survey, key: str, rows: list[Row], resident: Resident | None, **more: Any
) -> Response:
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey,
                key=key,
                household_id=resident.household_id if resident is not None else None,
                grid_path=resident.grid.path if resident is not None and resident.grid else "",
                submitted_at=timezone.now(),
                **more,
            )
    except IntegrityError:
        whose = "您家" if key.startswith("h:") else "您"
        raise Conflict(f"{whose}已经填写过这份问卷") from None
    Answer.objects.bulk_create(
        Answer(
            response=response,
            survey=survey,
            question=r.question,
            row=r.row,
            choice=r.choice,
            text=r.text,
        )
        for r in rows
    )
    return response


def _questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position"))


@transaction.atomic
def answer(
    *, actor: Actor | None, survey: Survey, answers: Mapping[Any, Any], anon: str = ""
) -> Response:
    """An answer given online: by a resident of the audience (once, or once a household),
    or by anyone holding a public survey's link (`anon`: the phone's own random key)."""
    now = timezone.now()
    if survey.status != SurveyStatus.OPEN or not survey.opens_at <= now <= survey.closes_at:
        raise Conflict("问卷不在填写时间内")
    resident = respondent(actor, survey) if actor is not None else None
    if resident is None and survey.audience != Audience.PUBLIC:
        raise NotAllowed("这份问卷只面向本辖区的居民" + ("（重点人群）" if survey.tag else ""))
    rows = read_answers(_questions(survey), answers)
    signed_in = actor if actor is not None and actor.is_authenticated else None
    return _write(survey, _key_of(survey, resident, signed_in, anon), rows, resident)


@transaction.atomic
def enter_paper(
    *, actor: Actor, survey: Survey, resident: Any, answers: Mapping[Any, Any]
) -> Response:
    """A paper questionnaire entered by staff for a resident (of their scope and of the
    survey's audience); once per resident or household, like online."""
    if survey.status != SurveyStatus.OPEN or timezone.now() < survey.opens_at:
        raise Conflict("问卷不在收集中")
    if not (actor.has_perm(PAPER) and scope_of(actor, PAPER).paths):
        raise NotAllowed("您不能录入纸质问卷")
    found = resident if isinstance(resident, Resident) else None
    if found is None:
        found = (
            Resident.objects.visible_to(actor, "view")
            .filter(pk=parse_id(resident) or 0)
            .select_related("household", "grid")
            .first()
        )
    if found is None or found.grid is None:
        raise DeliberationError("请选择您辖区内的居民", "resident")
    if not scope_of(actor, PAPER).covers(found.grid.path):
        raise NotAllowed("该居民不在您的辖区")
    if not found.grid.path.startswith(survey.path) or (
        survey.tag and survey.tag not in (found.tags or [])
    ):
        raise DeliberationError("该居民不在问卷的填写对象中", "resident")
    rows = read_answers(_questions(survey), answers)
    key = _key_of(survey, found, None, "")
    response = _write(survey, key, rows, found, channel="paper", entered_by=actor)
    audit.record(actor=actor, action="create", target=response, detail={"channel": "paper"})
    return response


def answered(user: Actor, survey: Survey, anon: str = "") -> bool:
    """Whether the user (or their household, or this phone) has already answered."""
    resident = respondent(user, survey)
    signed_in = user if getattr(user, "is_authenticated", False) else None
    try:
        key = _key_of(survey, resident, signed_in, anon)
    except DeliberationError:
        return False
    return Response.objects.filter(survey=survey, key=key).exists()


# ---- a suggestion becomes a topic ------------------------------------------------------


@transaction.atomic
def suggestion_to_topic(*, actor: Actor, answer_row: Answer, title: Any = None) -> Topic:
    """A suggestion written in a survey becomes a topic of the community (问卷建议)."""
    from .topics import _community_of, _create, may_record

    survey = answer_row.survey
    if not may(actor, RESULTS, survey) or answer_row.question.kind != QuestionKind.TEXT:
        raise NotAllowed("您不能把该答案转为议题")
    path = answer_row.response.grid_path or survey.path
    community = _community_of(path)
    if community is None:
        raise DeliberationError("请在社区或网格的问卷中选择建议转为议题")
    if not may_record(actor, community):
        raise NotAllowed("您不能为该社区登记议题")
    ref = f"问卷 {survey.pk} 答案 {answer_row.pk}"
    if Topic.objects.filter(source=TopicSource.SURVEY, source_ref=ref).exists():
        raise Conflict("该建议已转为议题")
    return _create(
        actor=actor,
        community=community,
        title=title if title not in (None, "") else answer_row.text[:60],
        detail=f"来自问卷“{survey.title}”第{answer_row.question.position}题：{answer_row.text}",
        source=TopicSource.SURVEY,
        source_ref=ref,
    )
