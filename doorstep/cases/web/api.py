"""JSON API for cases (工单接口): file, list, read, move; rates; the inbox.

Every read starts from `Case.objects.visible_to(user)` and needs `cases.view_case`; a case
outside it answers 404. Every change goes through `cases.services` (one door), whose
CaseError becomes a JSON error with its status (400 / 403 / 409) and changes nothing.
"""

import datetime as dt
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.cases import services
from doorstep.cases.errors import CaseError
from doorstep.cases.locating import home_building, locate
from doorstep.cases.models import Case, CaseKind, Category, Source, matching
from doorstep.cases.rates import DEFINITIONS, rates_for
from doorstep.cases.workflow import MOVES_BY_CODE, STATUS_LABELS
from doorstep.core.masking import mask_phone
from doorstep.inbox.models import Notification

from .schemas import (
    MAX_ID,
    CaseDetailOut,
    CaseIn,
    CaseListOut,
    CaseMoveIn,
    CaseOut,
    CategoryOut,
    NotificationOut,
    RatesOut,
)

router = Router(tags=["cases"])

Number = Annotated[str, Path(..., min_length=6, max_length=32, pattern=r"^[0-9A-Za-z-]+$")]
MoveCode = Annotated[str, Path(..., min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
NO_NUL = r"^[^\x00]*$"


class Page(LimitOffsetPagination):
    """limit/offset paging with a total `count`; bounded so no page is a table dump."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10**9)


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _cases(request: HttpRequest) -> QuerySet[Case]:
    return Case.objects.visible_to(_actor(request))


def _get(request: HttpRequest, number: str) -> Case:
    return get_object_or_404(
        _cases(request).select_related("category", "territory", "owner", "reporter"),
        number=number,
    )


def _is_staff_view(user: Any, case: Case) -> bool:
    """Staff handling or dispatching see who filed; the public and other residents do not.
    An anonymous filer is shown only to the staff who receive and dispatch (as on the case
    page): party members and volunteers taking orders from the pool hold handle_case too."""
    if case.reporter_id == user.pk:
        return True
    perms: tuple[str, ...] = ("cases.receive_case", "cases.dispatch_case")
    if not case.anonymous:
        perms += ("cases.handle_case",)
    return any(user.has_perm(p) for p in perms)


def case_out(case: Case, user: Any) -> dict[str, Any]:
    staff = _is_staff_view(user, case)
    return {
        "number": case.number,
        "kind": case.kind,
        "source": case.source,
        "category": case.category.code,
        "category_name": case.category.full_name or case.category.name,
        "title": case.title,
        "description": case.description,
        "urgency": case.urgency,
        "status": case.status,
        "status_label": STATUS_LABELS.get(case.status, case.status),
        "flag": case.flag,
        "territory": case.territory.name,
        "owner": case.owner.name,
        "address": case.address,
        "lat": case.lat,
        "lon": case.lon,
        "anonymous": case.anonymous,
        "reporter": (str(case.reporter) if case.reporter else None) if staff else None,
        "contact_phone": mask_phone(case.contact_phone) if staff and case.contact_phone else "",
        "created_at": case.created_at,
        "accepted_at": case.accepted_at,
        "due_at": case.due_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "resolution": case.resolution,
        "rating": case.rating,
        "solved": case.solved,
        "version": case.version,
    }


def _detail(case: Case, user: Any) -> dict[str, Any]:
    out = case_out(case, user)
    out["assignments"] = [
        {
            "id": a.pk,
            "handler": a.handler_name,
            "role": a.role,
            "state": a.state,
            "via": a.via,
            "sign_due_at": a.sign_due_at,
        }
        for a in case.assignments.select_related("user", "organisation")
    ]
    # An anonymous filer's own steps (filing, 补充, 评价) name them: not to the public.
    hide = case.anonymous and case.reporter_id is not None and not _is_staff_view(user, case)
    out["events"] = [
        {
            "seq": e.seq,
            "move": e.move,
            "label": MOVES_BY_CODE[e.move].label if e.move in MOVES_BY_CODE else "创建",
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor_name": "匿名" if (hide and e.actor_id == case.reporter_id) else e.actor_name,
            "note": e.note,
            "at": e.at,
        }
        for e in case.events.order_by("seq")
    ]
    out["moves"] = [
        {
            "code": m.code,
            "label": m.label,
            "needs_note": m.needs_note,
            "takes_note": bool(m.note_rule),
            "photos": m.photos,
            "fields": list(m.fields),
        }
        for m in services.moves_for(case, user)
    ]
    return out


@router.get("/categories", response=list[CategoryOut], summary="诉求分类（可选的末级分类）")
def categories(request: HttpRequest) -> Any:
    return (
        Category.objects.filter(active=True, children__isnull=True)
        .order_by("code")
        .values("code", "name", "full_name", "kind", "urgency", "default_handler_id")
    )


@router.post("/cases", response={201: CaseOut}, summary="提交诉求（点单、微心愿、网格发现）")
def create_case(request: HttpRequest, payload: CaseIn) -> Any:
    user = _actor(request)
    if not user.has_perm("cases.add_case"):
        raise PermissionDenied("没有提交诉求的权限")
    patrol = payload.kind == CaseKind.PATROL
    if patrol and not user.has_perm("cases.report_patrol"):
        raise PermissionDenied("只有网格员可以上报网格发现")
    category = (
        Category.objects.filter(code=payload.category)
        .annotate(has_children=Exists(Category.objects.filter(parent=OuterRef("pk"))))
        .first()
    )
    if category is None:
        raise CaseError("未知的诉求分类", "category")
    building = None
    if payload.building_id is not None:
        building = (
            Building.objects.outside_door("the building a filer names as where the need is")
            .filter(pk=payload.building_id)
            .select_related("grid__parent")
            .first()
        )
        if building is None:
            raise CaseError("楼栋不存在", "building_id")
    elif payload.lat is None and payload.lon is None and not payload.address:
        building = home_building(user)
    location = locate(building=building, lat=payload.lat, lon=payload.lon, address=payload.address)
    phone = ""
    if payload.contact_phone.strip():
        from doorstep.core.idcard import validate_phone

        try:
            phone = validate_phone(payload.contact_phone)
        except ValueError as exc:
            raise CaseError(str(exc), "contact_phone") from exc
    case = services.create_case(
        actor=user,
        category=category,
        description=payload.description,
        title=payload.title,
        location=location,
        kind=payload.kind,
        source=Source.PATROL if patrol else Source.WEB,
        urgency=payload.urgency,
        anonymous=payload.anonymous,
        contact_phone=phone,
        draft=patrol,
    )
    # The new case as filed; its timeline and the moves open now come from GET /cases/{number}.
    return Status(201, case_out(case, user))


@router.get("/cases", response=list[CaseListOut], summary="工单列表（按数据权限）")
@paginate(Page)
def list_cases(
    request: HttpRequest,
    status: Annotated[str | None, Query(None, max_length=20, pattern=r"^[a-z_]+$")] = None,
    flag: Annotated[str | None, Query(None, max_length=10, pattern=r"^[a-z]+$")] = None,
    kind: Annotated[str | None, Query(None, max_length=12, pattern=r"^[a-z_]+$")] = None,
    category: Annotated[str | None, Query(None, max_length=32, pattern=NO_NUL)] = None,
    q: Annotated[str | None, Query(None, max_length=100, pattern=NO_NUL)] = None,
) -> Any:
    qs = _cases(request).select_related("category", "territory", "owner")
    if status:
        qs = qs.filter(status=status)
    if flag:
        qs = qs.filter(flag=flag)
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(category__code=category)
    if q:
        qs = qs.filter(
            matching(q)
        )  # number, title, the request's text, address; 繁体 and pinyin too
    return qs.order_by("-created_at", "-id")


@router.get("/cases/{number}", response=CaseDetailOut, summary="工单详情、办理记录与可执行操作")
def get_case(request: HttpRequest, number: Number) -> Any:
    case = _get(request, number)
    return _detail(case, _actor(request))


def _orgs(ids: list[int]) -> list[Organisation]:
    targets = Organisation.objects.outside_door("move targets by id; the move checks them")
    found = {o.pk: o for o in targets.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise CaseError(f"组织不存在：{missing[0]}")
    return [found[i] for i in ids]


def _users(ids: list[int]) -> list[Any]:
    found = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise CaseError(f"用户不存在：{missing[0]}")
    return [found[i] for i in ids]


def _in_street(case: Case, targets: list[Any], field: str) -> list[Any]:
    """Handlers and summoned units must belong to the case's street, as on the case page
    (which offers only those): an id from elsewhere would hand the case, its reporter and
    photos to another street's staff."""
    if not targets:
        return targets
    street_path = services.top_of(case.territory).path
    user_ids = [t.pk for t in targets if not isinstance(t, Organisation)]
    in_street = set(
        Membership.objects.active()
        .filter(user_id__in=user_ids, organisation__path__startswith=street_path)
        .values_list("user_id", flat=True)
    )
    for t in targets:
        inside = (
            t.path.startswith(street_path) if isinstance(t, Organisation) else t.pk in in_street
        )
        if not inside:
            raise CaseError(f"“{t}”不在本街道，不能承办该工单", field)
    return targets


def move_params(
    code: str, payload: CaseMoveIn, request: HttpRequest, case: Case | None = None
) -> dict[str, Any]:
    """Turn the JSON body into the service's parameters for this move."""
    p: dict[str, Any] = {}
    if code == "accept" and payload.urgency:
        p["urgency"] = payload.urgency
    if code == "dispatch":
        leads = _orgs([payload.lead_org_id]) if payload.lead_org_id else []
        leads += _users([payload.lead_user_id]) if payload.lead_user_id else []
        if len(leads) != 1:
            raise CaseError("请指定一个主办（单位或个人）", "lead")
        p["lead"] = leads[0]
        p["co"] = _orgs(payload.co_org_ids) + _users(payload.co_user_ids)
        if case is not None:
            _in_street(case, [p["lead"], *p["co"]], "lead")
    if code == "set_handlers":
        p["add_co"] = _orgs(payload.co_org_ids) + _users(payload.co_user_ids)
        if case is not None:
            _in_street(case, p["add_co"], "co")
        p["remove"] = payload.remove_assignment_ids
    if code == "whistle":
        p["departments"] = _orgs(payload.department_ids)
        if case is not None:
            _in_street(case, p["departments"], "departments")
        if payload.report_by is not None:
            report_by = payload.report_by
            if timezone.is_naive(report_by):
                report_by = timezone.make_aware(report_by)
            p["report_by"] = report_by
    if code in ("rate", "reopen"):
        p.update(rating=payload.rating, solved=payload.solved, comment=payload.comment)
    if code == "request_extension":
        p.update(amount=payload.amount, unit=payload.unit or "workdays")
    if code == "merge":
        target = (
            _cases(request).filter(number=payload.target_number).first()
            if payload.target_number
            else None
        )
        if target is None:
            raise CaseError("要并入的工单不存在或无权查看", "target_number")
        p["target"] = target
    if code == "evaluate":
        p["scores"] = {s.summons_id: (s.score, s.comment) for s in payload.scores}
    return p


@router.post(
    "/cases/{number}/moves/{code}",
    response=CaseDetailOut,
    summary="办理操作（受理、派单、接单、签收、回单、评价、吹哨……）",
)
def make_move(request: HttpRequest, number: Number, code: MoveCode, payload: CaseMoveIn) -> Any:
    case = _get(request, number)
    if code not in MOVES_BY_CODE:
        raise Http404
    user = _actor(request)
    params = move_params(code, payload, request, case)
    case = services.perform(
        case, code, actor=user, note=payload.note, expected_version=payload.version, **params
    )
    return _detail(case, user)


@router.get("/rates", response=RatesOut, summary="考核指标（任一组织、任一时段）")
def rates(
    request: HttpRequest,
    organisation_id: Annotated[int, Query(..., ge=1, le=MAX_ID)],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Any:
    user = _actor(request)
    if not user.has_perm("cases.view_case"):
        raise PermissionDenied("没有查看统计的权限")
    org = get_object_or_404(Organisation.objects.visible_to(user), pk=organisation_id)
    if start and end and start > end:
        raise CaseError("开始日期不能晚于结束日期", "start")
    out = rates_for(org, start, end)
    out.update(organisation=org.name, start=start, end=end, definitions=DEFINITIONS)
    return out


@router.get("/inbox", response=list[NotificationOut], summary="我的消息")
@paginate(Page)
def inbox(request: HttpRequest, unread: bool = False) -> Any:
    qs = Notification.objects.filter(user=_actor(request))
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "url": n.url,
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in qs[:1000]
    ]


@router.post("/inbox/{notification_id}/read", response={204: None}, summary="标为已读")
def mark_read(
    request: HttpRequest,
    notification_id: Annotated[int, Path(..., ge=1, le=MAX_ID)],
) -> Any:
    n = get_object_or_404(Notification, pk=notification_id, user=_actor(request))
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return Status(204, None)
