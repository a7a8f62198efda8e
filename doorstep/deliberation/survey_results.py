"""问卷结果: the tally of a survey (counts per option, per matrix row, the rating's average
and spread) from one GROUP BY over the answer rows; free-text answers grouped when they
say the same thing (traditional and simplified, case, spaces and punctuation aside); the
audience's size for the response rate; the Excel export (汇总 and 答卷 sheets, no names or
households: a response is a number, its grid and how it came in), audited.

Who sees what: staff holding `view_response` over the survey's node see every response;
those over part of it (a grid of a community's survey) see the responses of their part.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.core import audit, xlsx
from doorstep.core.access import scope_of
from doorstep.core.search import simplified

from .errors import NotAllowed
from .models import Answer, Per, Question, QuestionKind, Response, Survey
from .surveys import RESULTS, may

_NOISE = re.compile(r"[\s\u3000]+")


def responses_for(actor: Actor, survey: Survey) -> QuerySet[Response]:
    """The responses the actor may count: all of them over the whole node, those of their
    grids over a part of it; refused when they hold neither."""
    if not actor.has_perm(RESULTS):
        raise NotAllowed("您没有查看问卷结果的权限")
    if may(actor, RESULTS, survey):
        return survey.responses.all()
    inside = [p for p in scope_of(actor, RESULTS).paths if p.startswith(survey.path)]
    if not inside:
        raise NotAllowed("该问卷不在您的辖区")
    q = Q()
    for path in inside:
        q |= Q(grid_path__startswith=path)
    return survey.responses.filter(q)


def normalised(text: str) -> str:
    """What a free-text answer says, for grouping: simplified, lower case, without spaces
    or punctuation (“加装电梯！” and “加裝電梯” are one group)."""
    flat = simplified(unicodedata.normalize("NFKC", text)).lower()
    flat = "".join(c for c in flat if not unicodedata.category(c).startswith(("P", "S")))
    return _NOISE.sub("", flat)


@dataclass
class TextGroup:
    text: str  # the first wording seen
    count: int
    answer_ids: list[int]


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0  # responses that answered it
    counts: list[int] = field(default_factory=list)  # per option (single, multiple, rating)
    matrix: list[list[int]] = field(default_factory=list)  # per row, per option
    average: float | None = None
    groups: list[TextGroup] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        if self.question.kind == QuestionKind.RATING:
            return [f"{n}分" for n in range(1, self.question.scale + 1)]
        return list(self.question.options)

    @property
    def bars(self) -> list[tuple[str, int, float]]:
        """(label, count, share of those who answered) per option."""
        return [
            (label, n, n / self.answered if self.answered else 0.0)
            for label, n in zip(self.labels, self.counts, strict=False)
        ]

    @property
    def matrix_rows(self) -> list[tuple[str, list[int]]]:
        return list(zip(self.question.rows, self.matrix, strict=False))


@dataclass
class Results:
    survey: Survey
    responses: int
    online: int
    paper: int
    audience: int | None  # residents or households the survey was put to (None: public)
    questions: list[QuestionResult]

    @property
    def rate(self) -> float | None:
        return self.responses / self.audience if self.audience else None


def audience_size(survey: Survey) -> int | None:
    """How many residents (or households) the survey was put to; None for a public one."""
    if survey.audience == "public":
        return None
    people = Resident.objects.outside_door("a survey's audience, counted").filter(
        grid__path__startswith=survey.path
    )
    if survey.tag:
        tagged = [
            (r.pk, r.household_id)
            for r in people.filter(tags__isnull=False).only("household_id", "tags")
            if survey.tag in (r.tags or [])
        ]
        return len({h for _, h in tagged}) if survey.per == Per.HOUSEHOLD else len(tagged)
    if survey.per == Per.HOUSEHOLD:
        return people.values("household_id").distinct().count()
    return people.count()


def tally(survey: Survey, responses: QuerySet[Response], *, whole: bool = False) -> Results:
    """The results over the given responses (`whole`: they are all of the survey's, so the
    answer rows need no join): counts from one GROUP BY of the answer rows."""
    questions = list(survey.questions.order_by("position"))
    scoped = Answer.objects.filter(survey=survey)
    if not whole:
        scoped = scoped.filter(response__in=responses.values("pk"))
    by_q = {q.pk: _empty_result(q) for q in questions}
    for qid, line, picked, n in (
        scoped.exclude(choice=None)
        .values_list("question_id", "row", "choice")
        .annotate(n=Count("id"))
        .order_by()
    ):
        result, choice, row = by_q[qid], picked or 0, line or 0
        q = result.question
        if q.kind == QuestionKind.MATRIX:
            if row < len(result.matrix) and choice < len(q.options):
                result.matrix[row][choice] += n
        elif q.kind == QuestionKind.RATING:
            if 1 <= choice <= q.scale:
                result.counts[choice - 1] += n
        elif choice < len(result.counts):
            result.counts[choice] += n
    for qid, n in (
        scoped.values_list("question_id").annotate(n=Count("response_id", distinct=True)).order_by()
    ):
        by_q[qid].answered = n
    texts: dict[int, dict[str, TextGroup]] = defaultdict(dict)
    for pk, qid, said in (
        scoped.exclude(text="").order_by("id").values_list("id", "question_id", "text")
    ):  # only text questions' rows have a text
        key = normalised(said) or said
        group = texts[qid].setdefault(key, TextGroup(said, 0, []))
        group.count += 1
        group.answer_ids.append(pk)
    for result in by_q.values():
        q = result.question
        if q.kind == QuestionKind.RATING and result.answered:
            total = sum(n * (i + 1) for i, n in enumerate(result.counts))
            result.average = total / sum(result.counts) if sum(result.counts) else None
        if q.kind == QuestionKind.TEXT:
            result.groups = sorted(texts[q.pk].values(), key=lambda g: (-g.count, g.answer_ids[0]))
    channels = dict(responses.values_list("channel").annotate(n=Count("id")).order_by())
    return Results(
        survey=survey,
        responses=sum(channels.values()),
        online=channels.get("online", 0),
        paper=channels.get("paper", 0),
        audience=audience_size(survey),
        questions=[by_q[q.pk] for q in questions],
    )


def _empty_result(q: Question) -> QuestionResult:
    result = QuestionResult(q)
    if q.kind == QuestionKind.MATRIX:
        result.matrix = [[0] * len(q.options) for _ in q.rows]
    elif q.kind == QuestionKind.RATING:
        result.counts = [0] * q.scale
    elif q.kind != QuestionKind.TEXT:
        result.counts = [0] * len(q.options)
    return result


def results(*, actor: Actor, survey: Survey) -> Results:
    return tally(survey, responses_for(actor, survey), whole=may(actor, RESULTS, survey))


# ---- Excel -----------------------------------------------------------------------------


def _summary_rows(res: Results) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["答卷", "", res.responses, None],
        ["其中线上填写", "", res.online, None],
        ["其中纸质录入", "", res.paper, None],
    ]
    if res.audience:
        rows.append(["填写对象", "", res.audience, res.rate])
    for r in res.questions:
        q = r.question
        head = f"{q.position}. {q.text}（{q.get_kind_display()}）"
        rows.append([head, "作答", r.answered, None])
        if q.kind == QuestionKind.MATRIX:
            for label, counts in r.matrix_rows:
                for option, n in zip(q.options, counts, strict=False):
                    rows.append(["", f"{label}：{option}", n, n / r.answered if r.answered else 0])
        elif q.kind == QuestionKind.TEXT:
            for g in r.groups:
                rows.append(["", g.text, g.count, g.count / r.answered if r.answered else 0])
        else:
            for label, n, share in r.bars:
                rows.append(["", label, n, share])
            if r.average is not None:
                rows.append(["", "平均分", round(r.average, 2), None])
    return rows


def _answer_cell(q: Question, rows: list[Answer]) -> str:
    if q.kind == QuestionKind.TEXT:
        return rows[0].text if rows else ""
    if q.kind == QuestionKind.RATING:
        return str(rows[0].choice) if rows else ""
    if q.kind == QuestionKind.MATRIX:
        return "；".join(
            f"{q.rows[a.row]}：{q.options[a.choice]}"
            for a in sorted(rows, key=lambda a: a.row or 0)
            if a.row is not None and a.choice is not None and a.row < len(q.rows)
        )
    return "、".join(q.options[a.choice] for a in rows if a.choice is not None)


def export(*, actor: Actor, survey: Survey) -> HttpResponse:
    """The workbook: 汇总 (the tally) and 答卷 (one line per response: its number, grid,
    channel, time and answers — no name, no household)."""
    responses = responses_for(actor, survey)
    res = tally(survey, responses, whole=may(actor, RESULTS, survey))
    questions = [r.question for r in res.questions]
    grids = dict(
        Organisation.objects.filter(
            path__in=responses.exclude(grid_path="").values("grid_path")
        ).values_list("path", "name")
    )
    answers: dict[int, dict[int, list[Answer]]] = defaultdict(lambda: defaultdict(list))
    for a in Answer.objects.filter(survey=survey, response__in=responses.values("pk")).order_by(
        "id"
    ):
        answers[a.response_id][a.question_id].append(a)
    lines = [
        [
            n,
            grids.get(r.grid_path, ""),
            r.get_channel_display(),
            timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M"),
            *(_answer_cell(q, answers[r.pk][q.pk]) for q in questions),
        ]
        for n, r in enumerate(responses.order_by("submitted_at", "id"), start=1)
    ]
    content = xlsx.workbook_of(
        [
            xlsx.Sheet(
                "汇总",
                f"{survey.title} · 结果汇总",
                ["题目", "选项", "人数", "占比"],
                _summary_rows(res),
                (3,),
            ),  # fmt: skip
            xlsx.Sheet(
                "答卷",
                f"{survey.title} · 答卷明细",
                [
                    "序号",
                    "网格",
                    "方式",
                    "提交时间",
                    *(f"{q.position}. {q.text}" for q in questions),
                ],
                lines,
            ),
        ]
    )
    audit.record(
        actor=actor,
        action="export",
        target=survey,
        detail={"what": "deliberation:survey", "rows": len(lines)},
    )
    return xlsx.download(content, f"问卷结果-{survey.title}")
