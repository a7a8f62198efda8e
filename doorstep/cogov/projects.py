"""Community projects (项目清单): proposing, budget and milestones, the one door for moves,
and residents' ratings.

`perform(project, code, actor=, note=, expected_version=)` is the only way a project moves:
lock → version check → facts → `project_flow.why_not` → the move → compare-and-set save →
`ProjectEvent` (seq = the new version) → audit, all in one transaction; a refusal is a
`CogovError` (400), `NotAllowed` (403) or `Conflict` (409) and leaves nothing written.
Passing inspection (验收通过) meets the need the project addresses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Organisation
from doorstep.core import audit, events
from doorstep.core.access import scope_of

from . import project_flow as flow
from .errors import CogovError, Conflict, NotAllowed
from .models import (
    BudgetLine,
    BudgetSource,
    Match,
    MatchStatus,
    Milestone,
    Need,
    NeedStatus,
    Project,
    ProjectEvent,
    ProjectKind,
    ProjectPhoto,
    ProjectRating,
)
from .services import NEED_NODE_KINDS, choice, day, quantity, text

P = flow.P


def held(actor: Actor, project: Project) -> frozenset[str]:
    """The project permissions the actor holds over the project's place."""
    return frozenset(
        perm
        for perm in (flow.CHANGE, flow.APPROVE)
        if actor.has_perm(perm) and scope_of(actor, perm).covers(project.path)
    )


def facts_for(project: Project, actor: Actor) -> flow.Facts:
    flags = set()
    if project.budget.exists():
        flags.add("has_budget")
    if project.milestones.filter(done_on__isnull=True).exists():
        flags.add("open_milestones")
    return flow.Facts(project.status, held(actor, project), frozenset(flags))


def available(project: Project, actor: Actor) -> list[flow.Move]:
    return flow.available(facts_for(project, actor))


def _keeps(actor: Actor, project: Project) -> None:
    if flow.CHANGE not in held(actor, project):
        raise NotAllowed("您不能修改该项目")
    if project.status in flow.FINAL:
        raise CogovError("项目已结束，不能再修改")


@transaction.atomic
def propose(
    *,
    actor: Actor,
    node: Organisation | None,
    title: Any,
    starts_on: Any,
    ends_on: Any,
    kind: Any = ProjectKind.SERVICE,
    summary: Any = "",
    match: Match | None = None,
    need: Need | None = None,
    partners: list[Organisation] | None = None,
) -> Project:
    """申报: a project of a community, grid or street, perhaps for a need and its match."""
    if match is not None:
        if match.status not in (MatchStatus.CONFIRMED, MatchStatus.DONE):
            raise CogovError("只有已认领的对接可以设立项目", "match")
        need = match.need
        node = node or need.node
    if node is None or node.kind not in NEED_NODE_KINDS:
        raise CogovError("请选择项目实施的社区或网格", "node")
    perm = "cogov.add_project"
    if not (actor.has_perm(perm) and scope_of(actor, perm).covers(node.path)):
        raise NotAllowed("您不能在该社区或网格申报项目")
    if (
        need is not None
        and not need.path.startswith(node.path)
        and not node.path.startswith(need.path)
    ):
        raise CogovError("项目与所解决的需求不在同一地方", "need")
    start, end = day(starts_on, "starts_on", "开始日期"), day(ends_on, "ends_on", "计划完成")
    if start is None:
        raise CogovError("请填写开始日期", "starts_on")
    if end is None:
        raise CogovError("请填写计划完成日期", "ends_on")
    if end < start:
        raise CogovError("计划完成日期不能早于开始日期", "ends_on")
    project = Project.objects.create(
        title=text(title, "title", "项目名称", 60),
        kind=choice(kind, ProjectKind, "kind", "项目类型"),
        node=node,
        path=node.path,
        summary=text(summary, "detail", "项目内容", 2000, required=False),
        need=need,
        match=match,
        starts_on=start,
        ends_on=end,
        proposed_by=actor,
        created_at=timezone.now(),
    )
    units = list(partners or [])
    if match is not None:
        units.append(match.resource.provider)
    if units:
        project.partners.set({u.pk for u in units})
    ProjectEvent.objects.create(
        project=project, seq=1, move="propose", to_status=P.PROPOSED, actor=actor, at=timezone.now()
    )
    audit.record(actor=actor, action="create", target=project)
    return project


@transaction.atomic
def add_budget_line(
    *, actor: Actor, project: Project, item: Any, amount: Any, source: Any
) -> BudgetLine:
    """A budget line, while the project is being proposed (申报)."""
    _keeps(actor, project)
    if project.status != P.PROPOSED:
        raise CogovError("立项后预算不能再改；如需调整请退回修改", "amount")
    value = quantity(amount, "amount", "金额", required=True)
    assert value is not None  # required
    line = BudgetLine.objects.create(
        project=project,
        item=text(item, "item", "预算项目", 60),
        amount=value,
        source=choice(source, BudgetSource, "source", "资金来源"),
    )
    audit.record(actor=actor, action="update", target=project, detail={"budget": str(value)})
    return line


def budget_total(project: Project) -> Decimal:
    return project.budget.aggregate(s=Sum("amount"))["s"] or Decimal("0")


@transaction.atomic
def add_milestone(*, actor: Actor, project: Project, title: Any, due_on: Any) -> Milestone:
    """A milestone between the project's start and its planned end."""
    _keeps(actor, project)
    due = day(due_on, "due_on", "计划日期")
    if due is None:
        raise CogovError("请填写节点的计划日期", "due_on")
    if due < project.starts_on:
        raise CogovError(f"节点日期不能早于项目开始日期（{project.starts_on:%Y-%m-%d}）", "due_on")
    if due > project.ends_on:
        raise CogovError(f"节点日期不能晚于计划完成日期（{project.ends_on:%Y-%m-%d}）", "due_on")
    milestone = Milestone.objects.create(
        project=project, title=text(title, "title", "节点名称", 60), due_on=due
    )
    audit.record(actor=actor, action="update", target=project, detail={"milestone": milestone.pk})
    return milestone


@transaction.atomic
def complete_milestone(
    *, actor: Actor, milestone: Milestone, note: Any = "", done_on: Any = None
) -> Milestone:
    project = Project.objects.get(pk=milestone.project_id)  # its stage now, not as loaded
    _keeps(actor, project)
    if project.status not in (P.APPROVED, P.RUNNING):
        raise CogovError("项目实施期间才能完成节点")
    when = day(done_on, "done_on", "完成日期") or timezone.localdate()
    if when < project.starts_on:
        raise CogovError("完成日期不能早于项目开始日期", "done_on")
    if when > timezone.localdate():
        raise CogovError("完成日期不能晚于今天", "done_on")
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if locked.done_on is not None:
        raise Conflict("该节点已完成")
    locked.done_on, locked.note = when, text(note, "note", "完成情况", 200, required=False)
    locked.save(update_fields=["done_on", "note"])
    audit.record(actor=actor, action="update", target=project, detail={"milestone_done": locked.pk})
    return locked


@transaction.atomic
def record_served(*, actor: Actor, project: Project, volunteers: Any, served: Any) -> Project:
    """The volunteers who took part and the 人次 served (at any stage before it ends)."""
    _keeps(actor, project)
    figures = {}
    for name, value, label in (
        (("volunteers", volunteers, "参与志愿者")),
        ("served", served, "服务人次"),
    ):
        raw = str(value if value is not None else "").strip()
        if not (raw.isascii() and raw.isdigit() and int(raw) <= 10_000_000):
            raise CogovError(f"{label}应为0以上的整数", name)
        figures[name] = int(raw)
    Project.objects.filter(pk=project.pk).update(**figures)
    project.volunteers, project.served = figures["volunteers"], figures["served"]
    audit.record(actor=actor, action="update", target=project, detail=figures)
    return project


def perform(
    project: Project,
    code: str,
    *,
    actor: Actor,
    note: Any = "",
    expected_version: int | None = None,
) -> Project:
    """The one door for a project's moves (see the module)."""
    move = flow.MOVES.get(code)
    if move is None:
        raise CogovError("没有这个操作")
    why = text(note, "note", "说明", 500, required=False)
    if move.note_required and not why:
        raise CogovError(f"请写明{move.label}的原因", "note")
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict("该项目已被他人处理，请刷新后再试")
        reason = flow.why_not(move, facts_for(locked, actor))
        if reason is not None:
            if move.perm not in held(actor, locked):
                raise NotAllowed(reason)
            raise CogovError(reason)
        old, new_version = locked.status, locked.version + 1
        changed = Project.objects.filter(pk=locked.pk, version=locked.version).update(
            status=move.target, version=new_version
        )
        if changed != 1:
            raise Conflict("该项目已被他人处理，请刷新后再试")
        locked.status, locked.version = move.target, new_version
        ProjectEvent.objects.create(
            project=locked,
            seq=new_version,
            move=code,
            from_status=old,
            to_status=move.target,
            actor=actor,
            note=why,
            at=timezone.now(),
        )
        events.kick("projects")  # consumers above (deliberation.follow) read it after commit
        if code == "pass" and locked.need_id is not None:
            Need.objects.filter(
                pk=locked.need_id, status__in=[NeedStatus.OPEN, NeedStatus.MATCHED]
            ).update(status=NeedStatus.MET, met_at=timezone.now())
        audit.record(
            actor=actor, action="update", target=locked, detail={"move": code, "to": move.target}
        )
    return locked


def may_rate(user: Actor, project: Project) -> bool:
    """Residents who live where the project was carried out rate it while it is published."""
    from doorstep.atlas.people.models import Resident

    if project.status != P.PUBLIC or not getattr(user, "is_authenticated", False):
        return False
    return Resident.objects.filter(user=user, grid__path__startswith=project.path).exists()


@transaction.atomic
def rate(*, actor: Actor, project: Project, stars: Any, comment: Any = "") -> ProjectRating:
    if project.status != P.PUBLIC:
        raise CogovError("项目公示期间才能评价")
    if not may_rate(actor, project):
        raise NotAllowed("只有项目所在社区的居民可以评价")
    raw = str(stars if stars is not None else "").strip()
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 5):
        raise CogovError("评价应为1–5星", "stars")
    try:
        with transaction.atomic():
            rating = ProjectRating.objects.create(
                project=project,
                user=actor,
                at=timezone.now(),
                stars=int(raw),
                comment=text(comment, "comment", "意见", 200, required=False),
            )
    except IntegrityError:
        raise Conflict("您已经评价过这个项目") from None
    return rating


def rating_of(project: Project) -> dict[str, Any]:
    row = project.ratings.aggregate(avg=Avg("stars"), n=Count("id"))
    return {"average": round(row["avg"], 1) if row["avg"] is not None else None, "count": row["n"]}


MAX_PHOTOS = 30


@transaction.atomic
def add_photo(*, actor: Actor, project: Project, image: Any, caption: Any = "") -> ProjectPhoto:
    """A photo of the work, by those who keep the project (not after it has ended)."""
    from .uploads import check_photo_only

    _keeps(actor, project)
    if image is None:
        raise CogovError("请选择照片", "image")
    note = text(caption, "caption", "照片说明", 60, required=False)
    check_photo_only(image, "照片", "image")
    Project.objects.select_for_update().filter(pk=project.pk).first()
    if ProjectPhoto.objects.filter(project=project).count() >= MAX_PHOTOS:
        raise CogovError(f"一个项目最多{MAX_PHOTOS}张照片", "image")
    photo = ProjectPhoto(project=project, caption=note, uploaded_by=actor)
    photo.image = image
    photo.save()
    audit.record(actor=actor, action="create", target=photo, detail={"project": project.pk})
    return photo


def late_milestones(project: Project, today: dt.date | None = None) -> list[Milestone]:
    today = today or timezone.localdate()
    return [m for m in project.milestones.all() if m.late(today)]
