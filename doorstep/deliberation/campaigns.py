"""敲门行动: launching a door-knocking campaign over the households of a street, community
or grid (all of them, some grids or buildings, or those with a vulnerable-group tag such
as 独居老人), splitting it among grid workers, party members and cadres (whole buildings
each), logging each knock on a phone as the platform's one visit (`service.Visit`, kind
敲门行动) — its outcome, what was found, a need for the needs list — and the coverage
per grid and building with the households not yet reached.

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (400),
`NotAllowed` (403) or `Conflict` (409) and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import TAG_LABELS, Resident
from doorstep.atlas.places.models import Building, Household
from doorstep.core import audit
from doorstep.core.access import scope_of
from doorstep.core.ids import parse_id
from doorstep.service.errors import ServiceError
from doorstep.service.models import VisitKind, VisitOutcome
from doorstep.service.models.records import REACHED

from .clean import text
from .errors import DeliberationError, NotAllowed, relayed
from .models import Campaign, CampaignTarget

LAUNCH = "deliberation.add_campaign"
MAX_DAYS = 120


def may_launch(user: Actor, path: str) -> bool:
    return bool(user.has_perm(LAUNCH)) and scope_of(user, LAUNCH).covers(path)


def _day(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise DeliberationError(f"请填写{label}（如 2027-01-01）", field) from None


def _households(
    node: Organisation,
    grids: Sequence[Organisation],
    buildings: Sequence[Building],
    tag: str | None,
) -> QuerySet[Household]:
    homes = Household.objects.outside_door(
        "a campaign's targets: the households under the node its launcher keeps"
    ).filter(grid__path__startswith=node.path)
    if grids:
        q = Q()
        for grid in grids:
            q |= Q(grid__path__startswith=grid.path)
        homes = homes.filter(q)
    if buildings:
        homes = homes.filter(unit__building__in=buildings)
    if tag:
        # tags are encrypted with the resident: read them, keep the homes with the tag
        tagged = {
            r.household_id
            for r in Resident.objects.outside_door("whose tags a campaign targets")
            .filter(household__in=homes, tags__isnull=False)
            .only("household_id", "tags")
            if tag in (r.tags or [])
        }
        homes = homes.filter(pk__in=tagged)
    return homes


@transaction.atomic
def launch(
    *,
    actor: Actor,
    node: Organisation | None,
    title: Any,
    starts_on: Any,
    ends_on: Any,
    purpose: Any = "",
    grids: Sequence[Organisation] = (),
    buildings: Sequence[Building] = (),
    tag: str | None = None,
) -> Campaign:
    """A campaign over the node's households (all, or the grids, buildings or tag given)."""
    if node is None or node.kind not in (Kind.STREET, Kind.COMMUNITY, Kind.GRID):
        raise DeliberationError("请选择街道、社区或网格", "node")
    if not may_launch(actor, node.path):
        raise NotAllowed("您不能在该范围发起敲门行动")
    if tag and tag not in TAG_LABELS:
        raise DeliberationError("请选择重点人群标签", "tag")
    for grid in grids:
        if not grid.path.startswith(node.path):
            raise DeliberationError("所选网格不在行动范围内", "grids")
    start, end = _day(starts_on, "starts_on", "开始日期"), _day(ends_on, "ends_on", "结束日期")
    if end < start:
        raise DeliberationError("结束日期不能早于开始日期", "ends_on")
    if (end - start).days > MAX_DAYS:
        raise DeliberationError(f"一次行动最长{MAX_DAYS}天", "ends_on")
    homes = list(
        _households(node, grids, buildings, tag)
        .select_related("unit__building", "grid")
        .order_by("grid__path", "unit__building_id", "pk")
    )
    if not homes:
        raise DeliberationError("所选范围内没有要走访的住户", "node")
    chosen = "、".join(
        [g.name for g in grids] + [b.name for b in buildings] + ([TAG_LABELS[tag]] if tag else [])
    )
    campaign = Campaign.objects.create(
        title=text(title, "title", "行动名称", 60),
        purpose=text(purpose, "purpose", "走访内容", 500, required=False),
        node=node,
        path=node.path,
        chosen=chosen or "全部住户",
        starts_on=start,
        ends_on=end,
        created_by=actor,
        created_at=timezone.now(),
    )
    CampaignTarget.objects.bulk_create(
        CampaignTarget(
            campaign=campaign, household=h, building=h.unit.building, grid_path=h.grid.path
        )
        for h in homes
    )
    audit.record(actor=actor, action="create", target=campaign, detail={"households": len(homes)})
    return campaign


@transaction.atomic
def split(*, actor: Actor, campaign: Campaign, visitors: Sequence[Any]) -> dict[int, int]:
    """Split the targets nobody has yet among the visitors, whole buildings each, the
    fewest doors first; returns {visitor id: doors}."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not may_launch(actor, locked.path):
        raise NotAllowed("您不能分派该行动")
    people = list(dict.fromkeys(visitors))
    if not people:
        raise DeliberationError("请选择走访人", "visitors")
    load = {p.pk: locked.targets.filter(assignee=p).count() for p in people}
    open_ = locked.targets.filter(assignee__isnull=True)
    by_building = list(
        open_.values("building_id").annotate(n=Count("id")).order_by("-n", "building_id")
    )
    for row in by_building:
        who = min(people, key=lambda p: (load[p.pk], p.pk))
        open_.filter(building_id=row["building_id"]).update(assignee=who)
        load[who.pk] += row["n"]
    audit.record(actor=actor, action="update", target=locked, detail={"split": len(people)})
    return load


def may_knock(user: Actor, target: CampaignTarget) -> bool:
    return target.assignee_id == user.pk or may_launch(user, target.campaign.path)


@transaction.atomic
def knock(
    *,
    actor: Actor,
    target: CampaignTarget,
    outcome: Any,
    found: Any,
    need: dict[str, Any] | None = None,
    case: dict[str, Any] | None = None,
) -> CampaignTarget:
    """Log one knock on a door (a `service.Visit` of kind 敲门行动); met or phoned, the
    household is reached; a need found goes on the needs list, a problem to be handled
    becomes a case (`case`: its category or the category's id, and a description), the
    visit's follow-up."""
    from doorstep.service.visits import record_visit

    locked = (
        CampaignTarget.objects.select_for_update()
        .select_related("campaign", "household__grid")
        .get(pk=target.pk)
    )
    if not may_knock(actor, locked):
        raise NotAllowed("这户不在您的走访名单上")
    today = timezone.localdate()
    if not locked.campaign.starts_on <= today <= locked.campaign.ends_on + dt.timedelta(days=7):
        raise DeliberationError("不在行动期间")
    if outcome not in VisitOutcome.values:
        raise DeliberationError("请选择走访结果", "outcome")
    grid = locked.household.grid
    try:
        visit = record_visit(
            visitor=actor, kind=VisitKind.KNOCK, visited_on=today, path=grid.path,
            found=found if str(found or "").strip() else VisitOutcome(outcome).label,
            outcome=outcome, household=locked.household, node=grid,
        )  # fmt: skip
    except ServiceError as exc:
        raise DeliberationError(exc.message, exc.field) from exc
    CampaignTarget.objects.filter(pk=locked.pk).update(attempts=F("attempts") + 1)
    if outcome in REACHED and locked.reached_by_id is None:
        CampaignTarget.objects.filter(pk=locked.pk).update(reached_by=visit)
    if need:
        from doorstep.cogov.errors import CogovError
        from doorstep.cogov.models import NeedSource
        from doorstep.cogov.services import record_need

        try:
            record_need(
                actor=actor, node=grid, title=need.get("title"), field=need.get("field"),
                wants=need.get("wants"), detail=need.get("detail", ""),
                building=locked.building, source=NeedSource.VISIT, visit=visit,
            )  # fmt: skip
        except CogovError as exc:
            raise relayed(exc) from exc
    if case:
        from doorstep.cogov.errors import CogovError
        from doorstep.cogov.services import file_case

        try:
            visit.follow_up_case = file_case(
                actor=actor, category=_category(case.get("category")), node=grid,
                description=case.get("description", ""), building=locked.building,
                field_prefix="case_",
            )  # fmt: skip
        except CogovError as exc:
            raise relayed(exc) from exc
        visit.save(update_fields=["follow_up_case"])
    locked.refresh_from_db()
    return locked


def _category(value: Any) -> Any:
    """A case category: given, or an active one by its id (a form's or payload's)."""
    from doorstep.cases.models import Category

    if value is None or isinstance(value, Category):
        return value
    return Category.objects.filter(active=True, pk=parse_id(value) or 0).first()


@dataclass(frozen=True)
class Coverage:
    label: str
    key: Any
    targets: int
    reached: int

    @property
    def rate(self) -> float | None:
        return self.reached / self.targets if self.targets else None


def coverage(campaign: Campaign, by: str = "grid") -> list[Coverage]:
    """Targets and households reached per grid (`by="grid"`) or building."""
    field = "grid_path" if by == "grid" else "building_id"
    rows = (
        campaign.targets.values(field)
        .annotate(n=Count("id"), reached=Count("id", filter=Q(reached_by__isnull=False)))
        .order_by(field)
    )
    names: dict[Any, str]
    if by == "grid":
        names = dict(
            Organisation.objects.filter(path__in=[r[field] for r in rows]).values_list(
                "path", "name"
            )
        )
    else:
        names = dict(
            Building.objects.filter(pk__in=[r[field] for r in rows]).values_list("pk", "name")
        )
    return [
        Coverage(names.get(r[field], str(r[field])), r[field], r["n"], r["reached"]) for r in rows
    ]


def unreached(campaign: Campaign) -> QuerySet[CampaignTarget]:
    return campaign.targets.filter(reached_by__isnull=True)


def assigned_to(user: Actor) -> QuerySet[CampaignTarget]:
    """The doors a visitor is to knock on, of campaigns running now."""
    today = timezone.localdate()
    return CampaignTarget.objects.filter(
        assignee=user,
        reached_by__isnull=True,
        campaign__starts_on__lte=today,
        campaign__ends_on__gte=today,
    )
