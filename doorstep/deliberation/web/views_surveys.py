"""问卷 pages: the surveys a user sees (and, for staff, drawing one up); a survey's page —
its questions and conditions while a draft, its QR code and link once open; the phone
page at /s/<token>/ where residents (or anyone, for a public survey) answer; paper entry
by staff; results with bars, free text grouped and a button to turn a suggestion into a
topic; the Excel export."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import VULNERABLE_TAGS, Resident
from doorstep.core import links
from doorstep.core.access import scope_of
from doorstep.core.ids import parse_id
from doorstep.core.search import normalise_query
from doorstep.deliberation import survey_results, surveys
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.figures import survey_figures
from doorstep.deliberation.models import (
    Answer,
    Audience,
    Per,
    Question,
    QuestionKind,
    Survey,
    SurveyStatus,
)

from .lists import asked_period

ANON_COOKIE = "survey_phone"


def _survey(user: Any, pk: Any) -> Survey:
    found = (
        Survey.objects.visible_to(user)
        .select_related("node")
        .filter(pk=parse_id(pk) or 0)
        .distinct()
        .first()
    )
    if found is None:
        raise Http404("问卷不存在或无权查看")
    return found


def _nodes(user: Any) -> list[Organisation]:
    if not user.has_perm(surveys.DRAW_UP):
        return []
    return [
        n
        for n in Organisation.objects.visible_to(user)
        .filter(kind__in=[Kind.STREET, Kind.COMMUNITY, Kind.GRID])
        .order_by("path")
        if scope_of(user, surveys.DRAW_UP).covers(n.path)
    ]


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = actor_of(request)
    staff = user.has_perm(surveys.PAPER) or user.has_perm(surveys.DRAW_UP)
    found = Survey.objects.visible_to(user).select_related("node")
    if staff and request.GET.get("status") in SurveyStatus.values:
        found = found.filter(status=request.GET["status"])
    rows = list(found.annotate(n=Count("responses", distinct=True)).distinct()[:200])
    if not staff:  # a resident: the open ones put to them, and whether they have answered
        put = surveys.answerable(user, [s for s in rows if s.status == SurveyStatus.OPEN])
        for s, done in put:
            s.done = done  # type: ignore[attr-defined]
        rows = [s for s, _done in put]
    pending = sum(1 for s in rows if not getattr(s, "done", True)) if not staff else len(rows)
    now = timezone.localtime()
    asked = asked_period(request, user) if staff else {}
    if asked:
        asked.update(survey_figures(asked["org"], asked["from"], asked["to"]))
    return render(
        request,
        "deliberation/surveys.html",
        {
            "asked": asked,
            "surveys": rows,
            "staff": staff,
            "pending_count": pending,
            "nodes": _nodes(user),
            "tags": VULNERABLE_TAGS,
            "audiences": Audience.choices,
            "pers": Per.choices,
            "opens": now.strftime("%Y-%m-%dT%H:%M"),
            "closes": (now + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@login_required
@require_POST
def survey_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    node = next((n for n in _nodes(user) if n.pk == parse_id(post.get("node"))), None)
    try:
        survey = surveys.draw_up(
            actor=user, node=node, title=post.get("title"), intro=post.get("intro", ""),
            opens_at=post.get("opens_at"), closes_at=post.get("closes_at"),
            audience=post.get("audience") or Audience.RESIDENTS, per=post.get("per") or Per.RESIDENT,
            tag=post.get("tag", ""),
        )  # fmt: skip
    except DeliberationError as exc:
        return _list(request, error=exc.message, status=exc.status)
    return redirect("deliberation:survey", pk=survey.pk)


def _conditions(questions: list[Question]) -> list[tuple[str, str]]:
    """(value, label) of each option of each choice question: what a later one may hang on."""
    return [
        (f"{q.pk}:{i}", f"第{q.position}题选“{option}”")
        for q in questions
        if q.kind in surveys.CHOICE_KINDS
        for i, option in enumerate(q.options)
    ]


def _detail(request: HttpRequest, survey: Survey, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    questions = list(survey.questions.select_related("show_if").order_by("position"))
    url = links.absolute(reverse("deliberation:survey_answer", args=[survey.token]))
    return render(
        request,
        "deliberation/survey.html",
        {
            "survey": survey,
            "questions": questions,
            "keeps": surveys.may(user, surveys.RUN, survey),
            "enters": user.has_perm(surveys.PAPER) and survey.status == SurveyStatus.OPEN,
            "sees_results": user.has_perm(surveys.RESULTS),
            "kinds": QuestionKind.choices,
            "conditions": _conditions(questions),
            "url": url,
            "qr": mark_safe(links.qr_svg(url)) if survey.status != SurveyStatus.DRAFT else "",  # noqa: S308 - segno's own SVG
            "responses": survey.responses.count(),
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _survey(actor_of(request), pk))


def _add_question(user: Any, survey: Survey, post: QueryDict) -> None:
    picked = [v.split(":", 1) for v in post.getlist("show_if") if ":" in v]
    parents = {qid for qid, _ in picked}
    if len(parents) > 1:
        raise DeliberationError("显示条件只能取同一道题的选项", "show_if")
    surveys.add_question(
        actor=user, survey=survey, kind=post.get("kind"), text_=post.get("text"),
        options=post.get("options", ""), rows=post.get("rows", ""), scale=post.get("scale") or 5,
        required=post.get("required") == "1", show_if=next(iter(parents), None),
        show_if_options=[opt for _, opt in picked],
    )  # fmt: skip


@login_required
@require_POST
def survey_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    user = actor_of(request)
    survey = _survey(user, pk)
    try:
        if act == "question":
            _add_question(user, survey, request.POST)
        elif act == "open":
            surveys.open_survey(actor=user, survey=survey)
        elif act == "close":
            surveys.close_survey(actor=user, survey=survey)
        elif act == "topic":
            row = (
                Answer.objects.filter(survey=survey, pk=parse_id(request.POST.get("answer")) or 0)
                .select_related("question", "response", "survey")
                .first()
            )
            if row is None:
                raise DeliberationError("该答案不存在", "answer")
            topic = surveys.suggestion_to_topic(
                actor=user, answer_row=row, title=request.POST.get("title") or None
            )
            return redirect("deliberation:topic", pk=topic.pk)
    except DeliberationError as exc:
        if act == "topic":
            return _results(request, survey, error=exc.message, status=exc.status)
        return _detail(request, _survey(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:survey", pk=survey.pk)


# ---- answering -------------------------------------------------------------------------


def answers_from(post: QueryDict, questions: list[Question]) -> dict[str, Any]:
    """The form's fields as the service reads them: q<id> (a list for a multiple choice),
    q<id>_r<row> for each matrix row."""
    out: dict[str, Any] = {}
    for q in questions:
        key = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            if post.getlist(key):
                out[key] = post.getlist(key)
        elif q.kind == QuestionKind.MATRIX:
            rows = {str(i): post.get(f"{key}_r{i}", "") for i in range(len(q.rows))}
            if any(rows.values()):
                out[key] = rows
        elif post.get(key, "") != "":
            out[key] = post.get(key)
    return out


def fields(questions: list[Question], post: QueryDict) -> list[dict[str, Any]]:
    """Each question as the form draws it, with what was given kept after a refusal."""
    out = []
    for q in questions:
        key = f"q{q.pk}"
        given = set(post.getlist(key))
        item: dict[str, Any] = {"q": q, "name": key, "text": post.get(key, "")}
        if q.kind == QuestionKind.RATING:
            item["choices"] = [(str(n), f"{n}", str(n) in given) for n in range(1, q.scale + 1)]
        elif q.kind == QuestionKind.MATRIX:
            item["rows"] = [
                (f"{key}_r{r}", label,
                 [(str(i), o, post.get(f"{key}_r{r}") == str(i)) for i, o in enumerate(q.options)])
                for r, label in enumerate(q.rows)
            ]  # fmt: skip
        else:
            item["choices"] = [(str(i), o, str(i) in given) for i, o in enumerate(q.options)]
        if q.show_if_id:
            item["show_if"] = f"q{q.show_if_id}"
            item["show_options"] = ",".join(str(o) for o in q.show_if_options)
        out.append(item)
    return out


def _form(
    request: HttpRequest,
    survey: Survey,
    template: str,
    *,
    error: str = "",
    status: int = 200,
    **more: Any,
) -> HttpResponse:
    questions = list(survey.questions.select_related("show_if").order_by("position"))
    return render(
        request,
        template,
        {"survey": survey, "fields": fields(questions, request.POST), "error": error, **more},
        status=status,
    )


def _anon(request: HttpRequest) -> str:
    return str(request.COOKIES.get(ANON_COOKIE, ""))[:36]


@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The phone page a QR code opens: the questions, shown as earlier answers allow."""
    survey = (
        Survey.objects.outside_door("a survey's QR link: its audience is checked below")
        .filter(token=token[:32])
        .select_related("node")
        .first()
    )
    if survey is None or survey.status == SurveyStatus.DRAFT:
        raise Http404("问卷不存在")
    user: Any = request.user  # anyone holding a public survey's link, signed in or not
    signed_in = bool(user.is_authenticated)
    if survey.audience != Audience.PUBLIC and not signed_in:
        return redirect_to_login(request.get_full_path())
    anon = _anon(request)
    state = ""
    now = timezone.now()
    if survey.status != SurveyStatus.OPEN or not survey.opens_at <= now <= survey.closes_at:
        state = "closed"
    elif not surveys.may_answer(user, survey):
        state = "outside"
    elif surveys.answered(user, survey, anon):
        state = "done"
    error, code = "", 200
    if request.method == "POST" and not state:
        questions = list(survey.questions.order_by("position"))
        try:
            surveys.answer(
                actor=user if signed_in else None, survey=survey,
                answers=answers_from(request.POST, questions), anon=anon,
            )  # fmt: skip
            return redirect("deliberation:survey_answer", token=survey.token)
        except DeliberationError as exc:
            error, code = exc.message, exc.status
    response = _form(request, survey, "deliberation/survey_answer.html", error=error,
                     status=code, state=state)  # fmt: skip
    if not anon:
        response.set_cookie(
            ANON_COOKIE, secrets.token_urlsafe(18), max_age=365 * 86400, httponly=True,
            samesite="Lax", secure=request.is_secure(),
        )  # fmt: skip
    return response


@login_required
def survey_paper(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff enter a paper questionnaire: find the resident (of their scope), then answer."""
    user = actor_of(request)
    survey = _survey(user, pk)
    if not user.has_perm(surveys.PAPER):
        raise PermissionDenied("您不能录入纸质问卷")
    query = request.GET.get("q", "").strip()[:30]
    found: list[Resident] = []
    if query:
        found = list(
            Resident.objects.visible_to(user, "view")
            .filter(
                grid__path__startswith=survey.path, search_text__contains=normalise_query(query)
            )
            .select_related("household__unit__building")
            .order_by("name", "pk")[:20]
        )
    resident = None
    pick = parse_id(request.POST.get("resident") or request.GET.get("resident"))
    if pick:
        resident = (
            Resident.objects.visible_to(user, "view")
            .select_related("household__unit__building")
            .filter(pk=pick)
            .first()
        )
    error, code = "", 200
    if request.method == "POST":
        questions = list(survey.questions.order_by("position"))
        try:
            surveys.enter_paper(
                actor=user, survey=survey, resident=resident,
                answers=answers_from(request.POST, questions),
            )  # fmt: skip
            return redirect(reverse("deliberation:survey_paper", args=[survey.pk]) + "?saved=1")
        except DeliberationError as exc:
            error, code = exc.message, exc.status
    return _form(
        request, survey, "deliberation/survey_paper.html", error=error, status=code,
        query=query, found=found, resident=resident, saved=request.GET.get("saved") == "1",
    )  # fmt: skip


# ---- results ---------------------------------------------------------------------------


def _results(request: HttpRequest, survey: Survey, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    try:
        res = survey_results.results(actor=user, survey=survey)
    except DeliberationError as exc:
        raise PermissionDenied(exc.message) from None
    return render(
        request,
        "deliberation/survey_results.html",
        {
            "survey": survey,
            "res": res,
            "to_topic": surveys.may(user, surveys.RESULTS, survey),
            "error": error,
        },
        status=status,
    )


@login_required
def survey_results_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _results(request, _survey(actor_of(request), pk))


@login_required
def survey_export(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    survey = _survey(user, pk)
    try:
        return survey_results.export(actor=user, survey=survey)
    except DeliberationError as exc:
        raise PermissionDenied(exc.message) from None
