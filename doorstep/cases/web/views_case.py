"""The case page: everything about one case, and a form for each move the user may make."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.cases.errors import CaseError, Conflict
from doorstep.cases.models import Assignment, Case, LimitUnit, Rating, Summons, Urgency
from doorstep.cases.scoping import pool_paths
from doorstep.cases.services import moves_for, perform
from doorstep.cases.workflow import MOVES_BY_CODE, OPEN, STATUS_LABELS, S
from doorstep.core.masking import mask_phone

from .views_common import (
    case_in_scope,
    check_number,
    dispatch_orgs,
    dispatch_people,
    require_any,
    summon_orgs,
    visible_cases,
)
from .views_dispatch import suggested
from .views_queue import render_pool

EVENT_LABELS = {"create": "提交诉求"}


def _event_detail(data: dict[str, Any]) -> str:
    """What an event's data says, in a line: handlers, departments, new owner, scores…"""
    parts = []
    if data.get("handlers"):
        parts.append("、".join(str(h).replace(":", "：") for h in data["handlers"]))
    if data.get("added"):
        parts.append("增加 " + "、".join(str(h).replace(":", "：") for h in data["added"]))
    if data.get("to_owner"):
        parts.append(f"{data.get('from_owner', '')} → {data['to_owner']}")
    if data.get("departments"):
        parts.append("部门：" + "、".join(data["departments"]))
    if data.get("target"):
        parts.append(f"并入 {data['target']}")
    if data.get("amount"):
        unit = str(dict(LimitUnit.choices).get(data.get("unit", ""), ""))
        parts.append(f"延期{data['amount']}{unit}")
    if data.get("scores"):
        parts.append("、".join(f"{x['department']} {x['score']}分" for x in data["scores"]))
    if data.get("rating"):
        parts.append(str(dict(Rating.choices).get(data["rating"], "")))
    return "；".join(p for p in parts if p)


# Moves whose form needs more than a note: rendered by their own include.
RATING_MOVES = ("rate", "reopen")
NEAR_M = 300.0


# ---------------------------------------------------------------- duplicates (合并重复)


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in (text or "") if not ch.isspace())
    return {t[i : i + 2] for i in range(len(t) - 1)}


def _metres(a: Case, b: Case) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    k = math.cos(math.radians(((a.lat or 0) + (b.lat or 0)) / 2))
    return math.hypot(
        ((b.lat or 0) - (a.lat or 0)) * 111_320, ((b.lon or 0) - (a.lon or 0)) * 111_320 * k
    )


def suggested_duplicates(case: Case, user: Any, limit: int = 5) -> list[tuple[Case, str]]:
    """Open cases from the last 30 days, nearby, with the same category or similar text."""
    since = timezone.now() - dt.timedelta(days=30)
    qs = (
        visible_cases(user)
        .exclude(pk=case.pk)
        .filter(status__in=OPEN, created_at__gte=since)
        .select_related("category")
        .order_by("-created_at")[:300]
    )
    mine = _bigrams(case.title + case.description)
    found: list[tuple[float, Case, str]] = []
    for other in qs:
        d = _metres(case, other)
        near = (
            (case.building_id is not None and other.building_id == case.building_id)
            or (d is not None and d <= NEAR_M)
            or (d is None and other.territory_id == case.territory_id)
        )
        if not near:
            continue
        theirs = _bigrams(other.title + other.description)
        overlap = len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0
        same_cat = other.category_id == case.category_id
        if not (same_cat or overlap >= 0.2):
            continue
        why = []
        if same_cat:
            why.append("同一分类")
        if overlap >= 0.2:
            why.append(f"内容相似{round(overlap * 100)}%")
        why.append("同一楼栋" if other.building_id == case.building_id else "位置相近")
        found.append((overlap + (0.5 if same_cat else 0), other, "，".join(why)))
    found.sort(key=lambda x: -x[0])
    return [(c, why) for _s, c, why in found[:limit]]


# ---------------------------------------------------------------- the page


def _sees_reporter(case: Case, user: Any) -> bool:
    """Staff see who filed; the public sees an anonymous filer as 匿名."""
    return (
        not case.anonymous
        or case.reporter_id == user.pk
        or user.is_staff
        or user.has_perm("cases.receive_case")
    )


def _reporter(case: Case, user: Any) -> dict[str, str]:
    staff = user.is_staff or user.has_perm("cases.receive_case")
    if case.reporter_id == user.pk:
        return {"name": f"{case.reporter}（本人）", "phone": ""}
    if not staff:
        if case.anonymous or case.reporter is None:
            return {"name": "匿名" if case.anonymous else "—", "phone": ""}
        return {"name": str(case.reporter), "phone": ""}
    phone = case.contact_phone
    if not phone and case.reporter_id:
        r = (
            Resident.objects.outside_door("the filer's number, part of a case the viewer sees")
            .filter(user_id=case.reporter_id)
            .first()
        )
        phone = r.phone if r else ""
    name = str(case.reporter) if case.reporter else (case.contact_name or "—")
    if case.anonymous:
        name += "（对外匿名）"
    return {"name": name, "phone": mask_phone(phone)}


def _timeline(case: Case, user: Any) -> list[dict[str, Any]]:
    events = list(case.events.order_by("seq").prefetch_related("attachments"))
    hide = not _sees_reporter(case, user)
    out = []
    for e in events:
        move = MOVES_BY_CODE.get(e.move)
        by_reporter = case.reporter_id is not None and e.actor_id == case.reporter_id
        out.append(
            {
                "e": e,
                "actor": "匿名" if (hide and by_reporter) else (e.actor_name or "系统"),
                "label": "保存草稿"
                if (e.move == "create" and e.to_status == S.DRAFT)
                else (EVENT_LABELS.get(e.move) or (move.label if move else e.move)),
                "detail": _event_detail(e.data or {}),
                "from": STATUS_LABELS.get(e.from_status, ""),
                "to": STATUS_LABELS.get(e.to_status, ""),
                "changed": e.from_status != e.to_status,
                "photos": list(e.attachments.all()),
            }
        )
    return out


def render_detail(
    request: HttpRequest,
    case: Case,
    *,
    error: str = "",
    error_move: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    # read once for the moves offered (facts_for) and for the page
    prefetch_related_objects(
        [case],
        Prefetch("assignments", queryset=Assignment.objects.select_related("organisation", "user")),
    )
    moves = moves_for(case, user)
    codes = {m.code for m in moves}
    timeline = _timeline(case, user)
    ctx: dict[str, Any] = {
        "case": case,
        "moves": [
            {
                "m": m,
                # what the move takes and requires: the workflow table says
                "note": m.note_rule,
                "photos": m.photos,
                "simple": not (m.note_rule or m.photos or m.fields),
            }
            for m in moves
            if m.code not in RATING_MOVES
        ],
        "rating_moves": [m for m in moves if m.code in RATING_MOVES],
        "codes": codes,
        "error": error,
        "error_move": error_move,
        "reporter": _reporter(case, user),
        "timeline": timeline,
        # the photos filed with the case are its first event's (read with the timeline)
        "filed_photos": next((t["photos"] for t in timeline if t["e"].seq == 1), []),
        "assignments": list(case.assignments.all()),
        "whistles": list(
            case.whistles.prefetch_related("summonses__department").order_by("created_at")
        ),
        "extensions": list(case.extensions.order_by("requested_at")),
        "urgencies": Urgency.choices,
        "units": LimitUnit.choices,
        "ratings": Rating.choices,
        "duplicate_of": case.merged_into if case.merged_into_id else None,
        "open_statuses": OPEN,
    }
    if "dispatch" in codes:
        ctx["suggestions"] = suggested(case)
    if "set_handlers" in codes:
        ctx["active_co"] = [a for a in ctx["assignments"] if a.active and a.role == "co"]
    if "whistle" in codes:
        ctx["summon_orgs"] = summon_orgs(case)
        default = timezone.localtime() + dt.timedelta(minutes=30)
        ctx["report_by_default"] = default.strftime("%Y-%m-%dT%H:%M")
    if "evaluate" in codes:
        ctx["to_evaluate"] = list(
            Summons.objects.filter(whistle__case=case, score__isnull=True).select_related(
                "department", "whistle"
            )
        )
    if "merge" in codes:
        ctx["duplicates"] = suggested_duplicates(case, user)
    return render(request, "cases/case.html", ctx, status=status)


@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    require_any(request.user, "cases.view_case")
    return render_detail(request, case_in_scope(request, number))


@login_required
def photo(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    """A case photo, served only to those who may see the case (MEDIA is not public)."""
    require_any(request.user, "cases.view_case")
    case = case_in_scope(request, number)
    att = case.attachments.filter(pk=pk).first()
    if att is None:
        raise Http404("照片不存在")
    try:
        fh = att.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("照片不存在") from None
    response = FileResponse(fh, content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- making a move


def _handler(value: str, orgs: dict[str, Organisation], people: dict[str, Any]) -> Any:
    value = (value or "").strip()
    if value in orgs:
        return orgs[value]
    if value in people:
        return people[value]
    raise CaseError("请选择有效的承办单位或承办人", "lead")


def _choices(case: Case) -> tuple[dict[str, Organisation], dict[str, Any]]:
    orgs = {f"o:{o.pk}": o for o in dispatch_orgs(case)}
    people = {f"u:{u.pk}": u for u in dispatch_people(case)}
    return orgs, people


def _int(value: Any, field: str, message: str) -> int:
    """A whole number from a form field; anything else, or one too big for a database
    integer (SQLite refuses those with OverflowError), is the given message."""
    raw = str(value).strip()
    if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 12):
        raise CaseError(message, field)
    return int(raw)


def _params(code: str, request: HttpRequest, case: Case) -> dict[str, Any]:
    post = request.POST
    if code == "accept":
        urgency = post.get("urgency") or None
        if urgency and urgency not in Urgency.values:
            raise CaseError("紧急程度无效", "urgency")
        return {"urgency": urgency}
    if code == "dispatch":
        orgs, people = _choices(case)
        if not post.get("lead"):
            raise CaseError("请选择主办单位或承办人", "lead")
        lead = _handler(post["lead"], orgs, people)
        co = [_handler(v, orgs, people) for v in post.getlist("co") if v]
        return {"lead": lead, "co": co}
    if code == "set_handlers":
        orgs, people = _choices(case)
        add = [_handler(v, orgs, people) for v in post.getlist("add_co") if v]
        remove = [_int(v, "remove", "协办记录无效") for v in post.getlist("remove") if v]
        return {"add_co": add, "remove": remove}
    if code == "request_extension":
        amount = _int(post.get("amount"), "amount", "请填写延期时长")
        return {"amount": amount, "unit": post.get("unit") or LimitUnit.WORKDAYS}
    if code in RATING_MOVES:
        solved = {"1": True, "0": False}.get(post.get("solved", ""))
        return {
            "rating": post.get("rating") or None,
            "solved": solved,
            "comment": (post.get("comment") or "").strip()[:500],
        }
    if code == "merge":
        number = (post.get("target") or "").strip()
        if not number:
            raise CaseError("请填写或选择要并入的工单编号", "target")
        if "\x00" in number or len(number) > 64:
            raise CaseError("工单编号无效", "target")
        target = visible_cases(request.user).filter(number=number).first()
        if target is None:
            raise CaseError(f"找不到工单 {number}", "target")
        return {"target": target}
    if code == "whistle":
        allowed = {str(o.pk): o for o in summon_orgs(case)}
        picked = post.getlist("departments")
        if not picked:
            raise CaseError("请至少选择一个职能部门", "departments")
        departments = []
        for v in picked:
            if v not in allowed:
                raise CaseError("请选择本街道的职能部门或共建单位", "departments")
            departments.append(allowed[v])
        params: dict[str, Any] = {"departments": departments}
        raw = (post.get("report_by") or "").strip()
        if raw:
            try:
                naive = dt.datetime.fromisoformat(raw)
            except ValueError:
                raise CaseError("报到时限格式不正确", "report_by") from None
            params["report_by"] = timezone.make_aware(naive) if timezone.is_naive(naive) else naive
        return params
    if code == "evaluate":
        scores: dict[int, tuple[int, str]] = {}
        for s in Summons.objects.filter(whistle__case=case, score__isnull=True):
            raw = (post.get(f"score_{s.pk}") or "").strip()
            if raw:
                score = _int(raw, "scores", "评分须为1到5分")
                scores[s.pk] = (score, (post.get(f"text_{s.pk}") or "").strip())
        return {"scores": scores}
    return {}


def _claim_taken(request: HttpRequest, number: str) -> HttpResponse | None:
    """A claim on a case that has left the pool (and so the claimer's scope): say so."""
    taken = Case.objects.outside_door("a case that left the pool: its status, to say so")
    case = taken.filter(number=number).only("territory_path", "status").first()
    if case is None or not request.user.has_perm("cases.claim_case"):
        return None
    if any(case.territory_path.startswith(p) for p in pool_paths(request.user)):
        return render_pool(request, error="手慢了，该工单已被他人接单", status=409)
    return None


@login_required
@require_POST
def move(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """One endpoint for every move: the service decides; errors come back on the page."""
    user = actor_of(request)
    require_any(user, "cases.view_case")
    if code not in MOVES_BY_CODE:
        raise Http404("未知操作")
    check_number(number)
    from_pool = request.POST.get("next") == "pool"
    visible = visible_cases(user).filter(number=number).exists()
    if not visible and code == "claim":
        taken = _claim_taken(request, number)
        if taken is not None:
            return taken
    case = case_in_scope(request, number)
    raw_version = (request.POST.get("version") or "").strip()
    # isdigit() alone also passes "²" and 5,000-digit strings, which int() refuses.
    version = None
    if raw_version.isascii() and raw_version.isdigit():
        version = int(raw_version) if len(raw_version) <= 10 else -1  # -1: a stale form
    try:
        params = _params(code, request, case)
        if code in RATING_MOVES:
            code = "reopen" if params["rating"] == Rating.UNSATISFIED else "rate"
        done = perform(
            case.pk,
            code,
            actor=user,
            note=request.POST.get("note", ""),
            expected_version=version,
            photos=request.FILES.getlist("photos"),
            **params,
        )
    except CaseError as exc:
        if from_pool:
            msg = exc.message
            if isinstance(exc, Conflict) and code == "claim":
                msg = "手慢了，该工单已被他人接单" if case.status != S.POOL else msg
            return render_pool(request, error=msg, status=exc.status)
        again = Case.objects.outside_door("the case just read, again after a refused move")
        fresh = again.select_related(
            "category", "territory", "owner", "owner__parent", "building", "reporter"
        ).get(pk=case.pk)
        return render_detail(request, fresh, error=exc.message, error_move=code, status=exc.status)
    messages.success(request, f"已{MOVES_BY_CODE[code].label}")
    if visible_cases(user).filter(pk=done.pk).exists():
        return redirect("desk:case", number=done.number)
    return redirect("desk:list")
