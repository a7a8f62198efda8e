"""JSON API of co-governance (tag "cogov"): the needs and resources lists, suggestions,
matches and their moves.

Every read starts from `visible_to(user)`; a row outside it answers 404. Every change goes
through `cogov.services` / `cogov.matching`, whose CogovError becomes a JSON error with its
status (400 / 403 / 409) and writes nothing. Organisations and buildings named by id are
looked up first, within the caller's scope: an unknown one is a 400 naming the field.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Status
from ninja.pagination import paginate

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.cogov import matching, services
from doorstep.cogov.errors import CogovError, NotAllowed
from doorstep.cogov.models import Fund, Match, Need, Project, Resource
from doorstep.core.ids import MAX_ID

from .schemas import (
    CogovPage,
    CompleteIn,
    FieldCode,
    FundOut,
    MatchIn,
    MatchOut,
    NeedIn,
    NeedOut,
    ProjectMoveIn,
    ProjectOut,
    ReasonIn,
    ResourceIn,
    ResourceOut,
    StatementOut,
    SuggestionOut,
)

router = Router(tags=["cogov"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
NeedState = Literal["open", "matched", "met", "closed"]
MatchState = Literal["accepted", "confirmed", "done", "declined", "cancelled"]
ProjectState = Literal[
    "proposed", "review", "approved", "running", "inspection", "public", "rated", "rejected",
    "stopped",
]  # fmt: skip


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def need_out(n: Need) -> dict[str, Any]:
    return {
        "id": n.pk,
        "title": n.title,
        "node_id": n.node_id,
        "node": n.node.name,
        "group": n.group,
        "field": n.field,
        "field_label": n.get_field_display(),
        "wants": n.wants,
        "urgency": n.urgency,
        "people": n.people,
        "amount": n.amount,
        "unit": n.unit,
        "window_start": n.window_start,
        "window_end": n.window_end,
        "source": n.source,
        "status": n.status,
        "status_label": n.get_status_display(),
        "created_at": n.created_at,
        "waiting_days": n.age_days() if n.is_open else None,
    }


def resource_out(r: Resource) -> dict[str, Any]:
    return {
        "id": r.pk,
        "title": r.title,
        "provider_id": r.provider_id,
        "provider": r.provider.name,
        "area_id": r.area_id,
        "area": r.area.name,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "fields": r.fields,
        "capacity": r.capacity,
        "remaining": r.remaining,
        "unit": r.unit,
        "available_from": r.available_from,
        "available_to": r.available_to,
        "reach_m": r.reach_m,
        "status": r.status,
    }


def match_out(m: Match) -> dict[str, Any]:
    return {
        "id": m.pk,
        "need_id": m.need_id,
        "need": m.need.title,
        "resource_id": m.resource_id,
        "resource": m.resource.title,
        "provider": m.resource.provider.name,
        "amount": m.amount,
        "unit": m.resource.unit,
        "status": m.status,
        "status_label": m.get_status_display(),
        "due_on": m.due_on,
        "accepted_at": m.accepted_at,
        "reason": m.reason,
        "rating": m.rating,
    }


def _needs(request: HttpRequest) -> Any:
    return Need.objects.visible_to(_actor(request)).select_related("node")


def _resources(request: HttpRequest) -> Any:
    return Resource.objects.visible_to(_actor(request)).select_related("provider", "area")


def _matches(request: HttpRequest) -> Any:
    return Match.objects.visible_to(_actor(request)).select_related("need", "resource__provider")


def _org(request: HttpRequest, pk: int, field: str) -> Organisation:
    org = Organisation.objects.visible_to(_actor(request)).filter(pk=pk).first()
    if org is None:
        raise CogovError("所选组织不存在或不在您的范围内", field)
    return org


@router.get("/cogov/needs", response=list[NeedOut], summary="需求清单（可按状态、领域）")
@paginate(CogovPage)
def list_needs(
    request: HttpRequest, status: NeedState | None = None, field: FieldCode | None = None
) -> Any:
    qs = _needs(request)
    if status:
        qs = qs.filter(status=status)
    if field:
        qs = qs.filter(field=field)
    return [need_out(n) for n in qs.order_by("-urgency", "created_at", "id")]


@router.post("/cogov/needs", response={201: NeedOut}, summary="登记需求")
def create_need(request: HttpRequest, payload: NeedIn) -> Any:
    user = _actor(request)
    if not user.has_perm("cogov.add_need"):
        raise NotAllowed("没有登记需求的权限")
    node = _org(request, payload.node_id, "node_id")
    building = None
    if payload.building_id is not None:
        building = Building.objects.visible_to(user).filter(pk=payload.building_id).first()
        if building is None:
            raise CogovError("所选楼栋不存在或不在您的范围内", "building_id")
    data = payload.dict(exclude={"node_id", "building_id"})
    need = services.record_need(actor=user, node=node, building=building, **data)
    return Status(201, need_out(need))


@router.get("/cogov/needs/{need_id}", response=NeedOut, summary="一条需求")
def get_need(request: HttpRequest, need_id: PathId) -> Any:
    return need_out(get_object_or_404(_needs(request), pk=need_id))


@router.get(
    "/cogov/needs/{need_id}/suggestions",
    response=list[SuggestionOut],
    summary="为需求推荐的资源（按匹配度）",
)
def need_suggestions(request: HttpRequest, need_id: PathId) -> Any:
    need = get_object_or_404(_needs(request), pk=need_id)
    if not matching.may_match(_actor(request), need):
        raise NotAllowed("您不能为该需求对接资源")
    return [
        {
            "resource": resource_out(s.resource),
            "score": s.score,
            "metres": round(s.metres, 1),
            "walked": s.walked,
        }
        for s in matching.suggest(need)
    ]


@router.post("/cogov/needs/{need_id}/matches", response={201: MatchOut}, summary="采纳资源")
def accept_resource(request: HttpRequest, need_id: PathId, payload: MatchIn) -> Any:
    need = get_object_or_404(_needs(request), pk=need_id)
    if not matching.may_match(_actor(request), need):
        raise NotAllowed("您不能为该需求对接资源")
    resource = (
        Resource.objects.outside_door(matching.CANDIDATES).filter(pk=payload.resource_id).first()
    )
    if resource is None:
        raise CogovError("所选资源不存在", "resource_id")
    match = matching.accept(
        actor=_actor(request), need=need, resource=resource, amount=payload.amount
    )
    return Status(201, match_out(match))


@router.post("/cogov/needs/{need_id}/close", response=NeedOut, summary="关闭需求（写明原因）")
def close_need(request: HttpRequest, need_id: PathId, payload: ReasonIn) -> Any:
    need = get_object_or_404(_needs(request), pk=need_id)
    if not services.may_keep_lists(_actor(request), need.node, "cogov.change_need"):
        raise NotAllowed("您不能关闭该需求")
    closed = services.close_need(actor=_actor(request), need=need, reason=payload.reason)
    closed.node = need.node
    return need_out(closed)


@router.get("/cogov/resources", response=list[ResourceOut], summary="资源清单")
@paginate(CogovPage)
def list_resources(request: HttpRequest, status: str | None = None) -> Any:
    qs = _resources(request)
    if status in ("active", "paused", "withdrawn"):
        qs = qs.filter(status=status)
    return [resource_out(r) for r in qs.order_by("id")]


@router.post("/cogov/resources", response={201: ResourceOut}, summary="登记资源")
def create_resource(request: HttpRequest, payload: ResourceIn) -> Any:
    if not _actor(request).has_perm("cogov.add_resource"):
        raise NotAllowed("没有登记资源的权限")
    provider = _org(request, payload.provider_id, "provider_id")
    data = payload.dict(exclude={"provider_id"})
    resource = services.offer_resource(actor=_actor(request), provider=provider, **data)
    return Status(201, resource_out(resource))


@router.get("/cogov/resources/{resource_id}", response=ResourceOut, summary="一项资源")
def get_resource(request: HttpRequest, resource_id: PathId) -> Any:
    return resource_out(get_object_or_404(_resources(request), pk=resource_id))


@router.get("/cogov/matches", response=list[MatchOut], summary="供需对接")
@paginate(CogovPage)
def list_matches(request: HttpRequest, status: MatchState | None = None) -> Any:
    qs = _matches(request)
    if status:
        qs = qs.filter(status=status)
    return [match_out(m) for m in qs]


def _move(request: HttpRequest, match_id: int) -> Match:
    return get_object_or_404(_matches(request), pk=match_id)


@router.post("/cogov/matches/{match_id}/confirm", response=MatchOut, summary="认领对接（提供单位）")
def confirm_match(request: HttpRequest, match_id: PathId) -> Any:
    return match_out(matching.confirm(actor=_actor(request), match=_move(request, match_id)))


@router.post("/cogov/matches/{match_id}/decline", response=MatchOut, summary="婉拒对接（提供单位）")
def decline_match(request: HttpRequest, match_id: PathId, payload: ReasonIn) -> Any:
    match = _move(request, match_id)
    return match_out(matching.decline(actor=_actor(request), match=match, reason=payload.reason))


@router.post("/cogov/matches/{match_id}/cancel", response=MatchOut, summary="取消对接（社区）")
def cancel_match(request: HttpRequest, match_id: PathId, payload: ReasonIn) -> Any:
    match = _move(request, match_id)
    return match_out(matching.cancel(actor=_actor(request), match=match, reason=payload.reason))


@router.post("/cogov/matches/{match_id}/complete", response=MatchOut, summary="办结对接并评价")
def complete_match(request: HttpRequest, match_id: PathId, payload: CompleteIn) -> Any:
    match = _move(request, match_id)
    done = matching.complete(
        actor=_actor(request), match=match, rating=payload.rating, met=payload.met
    )
    return match_out(done)


# -- projects and funds ---------------------------------------------------------------------


def project_out(p: Project) -> dict[str, Any]:
    from doorstep.cogov import projects as project_service

    rating = project_service.rating_of(p)
    return {
        "id": p.pk,
        "title": p.title,
        "kind": p.kind,
        "node_id": p.node_id,
        "node": p.node.name,
        "status": p.status,
        "status_label": p.get_status_display(),
        "need_id": p.need_id,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "budget": project_service.budget_total(p),
        "volunteers": p.volunteers,
        "served": p.served,
        "late_milestones": len(project_service.late_milestones(p)),
        "rating": rating["average"],
        "ratings": rating["count"],
    }


def _projects(request: HttpRequest) -> Any:
    return Project.objects.visible_to(_actor(request)).select_related("node")


@router.get("/cogov/projects", response=list[ProjectOut], summary="项目清单（可按阶段）")
@paginate(CogovPage)
def list_projects(request: HttpRequest, status: ProjectState | None = None) -> Any:
    qs = _projects(request)
    if status:
        qs = qs.filter(status=status)
    return [project_out(p) for p in qs.order_by("-created_at", "-id")]


@router.get("/cogov/projects/{project_id}", response=ProjectOut, summary="一个项目")
def get_project(request: HttpRequest, project_id: PathId) -> Any:
    return project_out(get_object_or_404(_projects(request), pk=project_id))


@router.post(
    "/cogov/projects/{project_id}/moves", response=ProjectOut, summary="项目办理（阶段变更）"
)
def move_project(request: HttpRequest, project_id: PathId, payload: ProjectMoveIn) -> Any:
    from doorstep.cogov import projects as project_service

    project = get_object_or_404(_projects(request), pk=project_id)
    moved = project_service.perform(
        project,
        payload.move,
        actor=_actor(request),
        note=payload.note,
        expected_version=payload.version,
    )
    moved.node = project.node
    return project_out(moved)


def fund_out(f: Fund) -> dict[str, Any]:
    return {
        "id": f.pk,
        "name": f.name,
        "owner_id": f.owner_id,
        "owner": f.owner.name,
        "balance": f.balance,
        "threshold": f.threshold,
    }


def _funds(request: HttpRequest) -> Any:
    return Fund.objects.visible_to(_actor(request)).select_related("owner")


@router.get("/cogov/funds", response=list[FundOut], summary="共治基金")
def list_funds(request: HttpRequest) -> Any:
    return [fund_out(f) for f in _funds(request)]


@router.get(
    "/cogov/funds/{fund_id}/statement",
    response=StatementOut,
    summary="基金收支明细（期初、各笔、期末、分类合计）",
)
def fund_statement(request: HttpRequest, fund_id: PathId, start: dt.date, end: dt.date) -> Any:
    from doorstep.cogov import funds as fund_service

    fund = get_object_or_404(_funds(request), pk=fund_id)
    if (end - start).days > 400 or not 2000 <= start.year <= 2100:
        raise CogovError("一次最多查询一年多一点（400天）的明细", "end")
    s = fund_service.statement(fund, start, end)
    return {
        "fund": fund_out(fund),
        "start": s.start,
        "end": s.end,
        "opening": s.opening,
        "closing": s.closing,
        "totals": s.totals,
        "lines": [
            {
                "seq": line.seq,
                "kind": line.kind,
                "kind_label": line.get_kind_display(),
                "amount": line.amount,
                "project_id": line.project_id,
                "counterpart": line.counterpart,
                "memo": line.memo,
                "reverses_seq": line.reverses.seq if line.reverses else None,
                "balance_after": line.balance_after,
                "posted_at": line.posted_at,
            }
            for line in s.lines
        ],
    }
