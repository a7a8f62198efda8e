"""JSON API for the governance map (治理地图接口).

Every query starts from `.visible_to(user)` (core.access: the model's view permission and the
data scope together, so the three admins, who hold the whole tree for other duties, do not
read the resident ledger). An object outside that set answers 404; a write the role may
not make answers 403 before anything is read or written.
"""

from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people import services
from doorstep.atlas.people.models import PartyMember, ResidenceType, Resident
from doorstep.atlas.people.queries import subtree_counts
from doorstep.atlas.places.models import Building, Household, Unit

from . import search as search_queries
from .schemas import (
    MAX_ID,
    BuildingDetailOut,
    BuildingOut,
    CountsOut,
    HouseholdDetailOut,
    HouseholdOut,
    KindCode,
    MoveIn,
    OrganisationDetailOut,
    OrganisationOut,
    PartyMemberOut,
    PartyStatusCode,
    ResidenceTypeCode,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    ResidentSearchIn,
    SearchIn,
    SearchOut,
    UnmaskOut,
)

router = Router()

# An id out of the databases' integer range is bad input (422), not a 500.
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
FilterId = Annotated[int | None, Query(None, ge=1, le=MAX_ID)]
# Search text: no NUL (PostgreSQL refuses it in a parameter), and not an essay.
NO_NUL = r"^[^\x00]*$"
SearchText = Annotated[str, Query(..., min_length=1, max_length=100, pattern=NO_NUL)]
FilterText = Annotated[str | None, Query(None, max_length=100, pattern=NO_NUL)]


class Page(LimitOffsetPagination):
    """limit/offset paging with a total `count`; bounded so no page can be a table dump."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10**9)


def _actor(request: HttpRequest) -> Any:
    """The caller ninja authenticated (token or session): the actor of every write."""
    return request.auth  # type: ignore[attr-defined]


def _visible(request: HttpRequest, model: Any) -> QuerySet[Any]:
    """The caller's rows of `model`: the access door (view permission and data scope)."""
    return model.objects.visible_to(_actor(request))


def _require(request: HttpRequest, perm: str) -> None:
    if not _actor(request).has_perm(perm):
        raise PermissionDenied("没有此操作的权限")


def _orgs(request: HttpRequest) -> QuerySet[Organisation]:
    return _visible(request, Organisation)


def _buildings(request: HttpRequest) -> QuerySet[Building]:
    return _visible(request, Building).select_related("grid", "compound")


def _households(request: HttpRequest) -> QuerySet[Household]:
    return _visible(request, Household).select_related("unit__building", "grid")


def _residents(request: HttpRequest) -> QuerySet[Resident]:
    return _visible(request, Resident).select_related("household__unit__building")


def _party_members(request: HttpRequest) -> QuerySet[PartyMember]:
    return (
        _visible(request, PartyMember)
        .select_related("resident", "organisation", "reported_community")
        .order_by("id")
    )


# --- organisations ----------------------------------------------------------------------


def _counts(node: Organisation) -> CountsOut:
    c = subtree_counts(node, [node], from_counters=True)[node.pk]
    by_type = {code: c.by_type.get(code, 0) for code in ResidenceType.values}
    return CountsOut(
        communities=c.communities,
        grids=c.grids,
        grids_with_branch=c.grids_with_branch,
        grids_without_branch=c.grids_without_branch,
        buildings=c.buildings,
        households=c.households,
        households_linked=c.households_linked,
        residents=c.residents,
        residents_by_type=by_type,
        party_members=c.party_members,
        party_organisations=c.party_organisations,
        party_branches=c.party_branches,
        central_households=c.central_households,
    )


@router.get("/organisations", response=list[OrganisationOut], tags=["organisations"])
@paginate(Page)
def list_organisations(
    request: HttpRequest, kind: KindCode | None = None, parent: FilterId = None
) -> Any:
    """组织: the organisations in the caller's scope."""
    qs = _orgs(request)
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    return qs


@router.get("/organisations/{id}", response=OrganisationDetailOut, tags=["organisations"])
def get_organisation(request: HttpRequest, id: PathId) -> Any:
    """One organisation with its subtree figures (子树统计)."""
    node = get_object_or_404(_orgs(request), pk=id)
    node.counts = _counts(node)  # type: ignore[attr-defined]
    return node


@router.get("/organisations/{id}/children", response=list[OrganisationOut], tags=["organisations"])
@paginate(Page)
def list_children(request: HttpRequest, id: PathId) -> Any:
    """The organisation's direct children that the caller may see."""
    node = get_object_or_404(_orgs(request), pk=id)
    return _orgs(request).filter(parent=node)


@router.get("/grids", response=list[OrganisationOut], tags=["organisations"])
@paginate(Page)
def list_grids(request: HttpRequest) -> Any:
    """网格: the grids in the caller's scope."""
    return _orgs(request).filter(kind=Kind.GRID)


# --- buildings and households -----------------------------------------------------------


@router.get("/buildings", response=list[BuildingOut], tags=["places"])
@paginate(Page)
def list_buildings(request: HttpRequest, grid: FilterId = None, compound: FilterId = None) -> Any:
    """楼栋 in the caller's scope."""
    qs = _buildings(request)
    if grid is not None:
        qs = qs.filter(grid_id=grid)
    if compound is not None:
        qs = qs.filter(compound_id=compound)
    return qs


@router.get("/buildings/{id}", response=BuildingDetailOut, tags=["places"])
def get_building(request: HttpRequest, id: PathId) -> Any:
    """One building with its units and how many households each holds."""
    building = get_object_or_404(_buildings(request), pk=id)
    per_unit = dict(
        _visible(request, Household)
        .filter(unit__building=building)
        .values_list("unit_id")
        .annotate(n=Count("id"))
    )
    units = Unit.objects.visible_to(_actor(request)).filter(building=building)
    building.unit_rows = [  # type: ignore[attr-defined]
        {"id": u.pk, "number": u.number, "households": per_unit.get(u.pk, 0)} for u in units
    ]
    return building


@router.get("/households", response=list[HouseholdOut], tags=["places"])
@paginate(Page)
def list_households(request: HttpRequest, building: FilterId = None, grid: FilterId = None) -> Any:
    """户 in the caller's scope."""
    qs = _households(request)
    if building is not None:
        qs = qs.filter(unit__building_id=building)
    if grid is not None:
        qs = qs.filter(grid_id=grid)
    return qs


@router.get("/households/{id}", response=HouseholdDetailOut, tags=["places"])
def get_household(request: HttpRequest, id: PathId) -> Any:
    """One household with the residents the caller may see (numbers masked)."""
    household = get_object_or_404(_households(request), pk=id)
    household.resident_rows = list(_residents(request).filter(household=household))  # type: ignore[attr-defined]
    return household


@router.post("/households/{id}/move", response=HouseholdOut, tags=["places"])
def move_household(request: HttpRequest, payload: MoveIn, id: PathId) -> Any:
    """迁移户: to a unit and room of a building in the caller's scope."""
    _require(request, "places.change_household")
    household = get_object_or_404(_households(request), pk=id)
    building = _buildings(request).filter(pk=payload.building).first()
    if building is None:
        raise ValidationError({"building": "楼栋不存在或不在您的负责范围内"})
    services.move_household(
        household=household,
        building=building,
        unit_number=payload.unit,
        room=payload.room,
        actor=_actor(request),
    )
    return get_object_or_404(_households(request), pk=household.pk)


# --- residents ----------------------------------------------------------------------------


@router.get("/residents", response=list[ResidentOut], tags=["people"])
@paginate(Page)
def list_residents(
    request: HttpRequest,
    household: FilterId = None,
    grid: FilterId = None,
    residence_type: ResidenceTypeCode | None = None,
    q: FilterText = None,
) -> Any:
    """居民 in the caller's scope; `q` finds by name, pinyin, address or number tail (a full
    number goes by POST /residents/search: a URL with one is refused)."""
    return _find_residents(request, q, household, grid, residence_type)


@router.post("/residents/search", response=list[ResidentOut], tags=["people"])
@paginate(Page)
def search_residents(request: HttpRequest, payload: ResidentSearchIn) -> Any:
    """居民 by a full ID or phone number (or anything `q` of the list takes), in the body."""
    return _find_residents(
        request, payload.q, payload.household, payload.grid, payload.residence_type
    )


def _find_residents(
    request: HttpRequest,
    q: str | None,
    household: int | None,
    grid: int | None,
    residence_type: str | None,
) -> QuerySet[Resident]:
    qs = _residents(request)
    if q and q.strip():
        found = search_queries.resident_matches(_actor(request), q)
        qs = found.select_related("household__unit__building")
    if household is not None:
        qs = qs.filter(household_id=household)
    if grid is not None:
        qs = qs.filter(grid_id=grid)
    if residence_type:
        qs = qs.filter(residence_type=residence_type)
    return qs


@router.get("/residents/{id}", response=ResidentOut, tags=["people"])
def get_resident(request: HttpRequest, id: PathId) -> Any:
    return get_object_or_404(_residents(request), pk=id)


@router.post("/residents", response={201: ResidentOut}, tags=["people"])
def create_resident(request: HttpRequest, payload: ResidentIn) -> Any:
    """新增居民 in a household of the caller's scope."""
    _require(request, "people.add_resident")
    household = _households(request).filter(pk=payload.household).first()
    if household is None:
        raise ValidationError({"household": "户不存在或不在您的负责范围内"})
    data = payload.model_dump(exclude={"household"})
    resident = services.create_resident(
        household=household, actor=_actor(request), source="api", **data
    )
    return Status(201, get_object_or_404(_residents(request), pk=resident.pk))


@router.patch("/residents/{id}", response=ResidentOut, tags=["people"])
def update_resident(request: HttpRequest, payload: ResidentPatch, id: PathId) -> Any:
    """修改居民信息: only the fields sent change."""
    _require(request, "people.change_resident")
    resident = get_object_or_404(_residents(request), pk=id)
    services.update_resident(
        resident=resident,
        actor=_actor(request),
        source="api",
        **payload.model_dump(exclude_unset=True),
    )
    return get_object_or_404(_residents(request), pk=id)


@router.post("/residents/{id}/unmask", response=UnmaskOut, tags=["people"])
def unmask_resident(request: HttpRequest, id: PathId) -> Any:
    """查看明文: the numbers in clear, for roles allowed to; every call is audited."""
    _require(request, "people.unmask_personal_data")
    resident = get_object_or_404(_residents(request), pk=id)
    return services.unmask(resident=resident, actor=_actor(request))


# --- party members ----------------------------------------------------------------------


@router.get("/party-members", response=list[PartyMemberOut], tags=["people"])
@paginate(Page)
def list_party_members(
    request: HttpRequest,
    status: PartyStatusCode | None = None,
    in_service: bool | None = None,
    organisation: FilterId = None,
) -> Any:
    """党员名册 in the caller's scope."""
    qs = _party_members(request)
    if status:
        qs = qs.filter(status=status)
    if in_service is not None:
        qs = qs.filter(in_service=in_service)
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    return qs


@router.get("/party-members/{id}", response=PartyMemberOut, tags=["people"])
def get_party_member(request: HttpRequest, id: PathId) -> Any:
    return get_object_or_404(_party_members(request), pk=id)


# --- search ---------------------------------------------------------------------------------


@router.get("/search", response=SearchOut, tags=["search"])
def search(request: HttpRequest, q: SearchText) -> Any:
    """搜索: residents (masked), buildings, compounds and organisations in scope. A full ID
    or phone number goes by POST /search instead: a URL with one is refused."""
    return _search(request, q)


@router.post("/search", response=SearchOut, tags=["search"])
def search_by_body(request: HttpRequest, payload: SearchIn) -> Any:
    """搜索 with the text in the body (for full ID or phone numbers)."""
    return _search(request, payload.q)


def _search(request: HttpRequest, q: str) -> dict[str, Any]:
    user = _actor(request)
    if not q.strip():  # blank would match everything: answer nothing instead
        return {"residents": [], "buildings": [], "compounds": [], "organisations": [], "total": 0}
    # search_all already leaves out each kind the caller has no view permission for.
    found = search_queries.search_all(user, q, limit=50)
    return {
        "residents": found.residents,
        "buildings": found.buildings,
        "compounds": found.compounds,
        "organisations": found.organisations,
        "total": found.total,
    }
