"""What each move does besides changing the status (called only by services.perform).

Each handler gets the locked case in a Ctx, changes its fields and related rows, and
leaves facts for the event in `ctx.data` (rollups.py reads them: "received", "on_time",
"closing", "first_response" …). Raising CaseError undoes everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from doorstep.atlas.organisations.models import Kind, Organisation

from . import deadlines, suggest
from .errors import CaseError, Conflict
from .models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Case,
    Extension,
    ExtensionState,
    LimitUnit,
    Rating,
)
from .scoping import org_handler_ids
from .services import Ctx, community_of, handler_user_ids, staff_of
from .workflow import S

HANDLERS: dict[str, Callable[[Ctx], None]] = {}
DISPATCH_KINDS = frozenset(
    {
        Kind.GRID,
        Kind.COMMUNITY,
        Kind.DEPARTMENT,
        Kind.CO_BUILDING,
        Kind.GRID_BRANCH,
        Kind.COMPOUND_BRANCH,
        Kind.PARTY_COMMITTEE,
        Kind.GENERAL_BRANCH,
        Kind.PARTY_GROUP,
        Kind.BUILDING_GROUP,
        Kind.CENTRAL_HOUSEHOLD,
    }
)
SUMMON_KINDS = frozenset({Kind.DEPARTMENT, Kind.CO_BUILDING})


def handles(*codes: str) -> Callable[[Callable[[Ctx], None]], Callable[[Ctx], None]]:
    def register(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        for code in codes:
            HANDLERS[code] = fn
        return fn

    return register


def _active(case: Case) -> Any:
    return case.assignments.filter(state__in=ACTIVE_ASSIGNMENT)


def _end_assignments(ctx: Ctx, state: str, qs: Any = None) -> None:
    (qs if qs is not None else _active(ctx.case)).update(state=state, ended_at=ctx.now)


def _mine(ctx: Ctx) -> Any:
    from .scoping import handler_org_ids

    orgs = handler_org_ids(ctx.actor)
    return _active(ctx.case).filter(
        Q(user=ctx.actor) | Q(organisation_id__in=orgs, user__isnull=True)
    )


def _owner_staff(ctx: Ctx, perm: str = "cases.dispatch_case") -> None:
    ctx.notify_users.update(staff_of(ctx.case.owner, perm))


def _reporter(ctx: Ctx) -> None:
    if ctx.case.reporter_id:
        ctx.notify_users.add(ctx.case.reporter_id)


def _close(ctx: Ctx) -> None:
    """Bookkeeping shared by every way a case reaches 已办结."""
    case = ctx.case
    case.closed_at = ctx.now
    start = case.accepted_at or case.submitted_at or case.created_at
    ctx.data["closing"] = True
    ctx.data["on_time_close"] = bool(case.resolved_on_time)
    ctx.data["handling_seconds"] = max(
        0, int(((case.resolved_at or ctx.now) - start).total_seconds())
    )
    _end_assignments(ctx, AssignmentState.DONE)
    suggest.history_changed(case.territory_path)  # where its cases were finally handled


def _first_response(ctx: Ctx) -> None:
    if ctx.case.responded_at is None:
        ctx.case.responded_at = ctx.now
        ctx.data["first_response"] = True


# ---------------------------------------------------------------- intake


@handles("submit")
def _submit(ctx: Ctx) -> None:
    case = ctx.case
    case.submitted_at = ctx.now
    if case.owner.kind == Kind.GRID:  # 网格发现 → 社区收集
        community = community_of(case.owner)
        case.owner, case.owner_path = community, community.path
    _owner_staff(ctx, "cases.receive_case")
    ctx.notice = f"新诉求待受理：{case.title}"


@handles("self_handle")
def _self_handle(ctx: Ctx) -> None:
    # The note and the photos it needs are checked by perform, from the workflow table.
    case = ctx.case
    case.submitted_at = case.submitted_at or ctx.now
    case.accepted_at = ctx.now
    case.resolution = ctx.note
    case.resolved_at = ctx.now
    case.resolved_on_time = True
    ctx.data["received"] = True
    _first_response(ctx)
    _close(ctx)


@handles("withdraw", "cancel")
def _cancel(ctx: Ctx) -> None:
    _end_assignments(ctx, AssignmentState.RECALLED)
    deadlines.pause(ctx.case, ctx.now)
    _reporter(ctx)


@handles("accept")
def _accept(ctx: Ctx) -> None:
    case = ctx.case
    urgency = ctx.params.get("urgency")
    if urgency:
        if urgency not in deadlines.URGENCY_LIMITS:
            raise CaseError("紧急程度无效", "urgency")
        case.urgency = urgency
    if case.accepted_at is None:
        case.accepted_at = ctx.now
        ctx.data["received"] = True
    if case.due_at is None:
        deadlines.start_clock(case, ctx.now, ctx.cal)
    else:
        deadlines.unpause(case, ctx.now, ctx.cal)
    ctx.data["due_at"] = case.due_at.isoformat() if case.due_at else None
    _reporter(ctx)
    ctx.notice = f"您的诉求已受理：{case.title}"


@handles("request_info")
def _request_info(ctx: Ctx) -> None:
    deadlines.pause(ctx.case, ctx.now)
    _reporter(ctx)
    ctx.notice = f"请补充材料：{ctx.case.title}"


@handles("supplement")
def _supplement(ctx: Ctx) -> None:
    deadlines.unpause(ctx.case, ctx.now, ctx.cal)
    _owner_staff(ctx, "cases.receive_case")


@handles("merge")
def _merge(ctx: Ctx) -> None:
    target = ctx.params.get("target")
    if not isinstance(target, Case):
        raise CaseError("请选择要并入的工单", "target")
    if target.pk == ctx.case.pk or target.status == S.CANCELLED:
        raise CaseError("不能并入该工单", "target")
    ctx.case.merged_into_id = target.pk
    ctx.data["target"] = target.number
    _end_assignments(ctx, AssignmentState.RECALLED)
    _reporter(ctx)
    ctx.notice = f"您的诉求已与工单 {target.number} 合并办理"


# ---------------------------------------------------------------- dispatch and pool


Handler = tuple[Organisation | None, Any, str]


def _handlers_from(params: dict[str, Any]) -> list[Handler]:
    """[(organisation, user, role)] from params["lead"] and params["co"] (orgs or users)."""
    lead = params.get("lead")
    if lead is None:
        raise CaseError("请选择主办单位或承办人", "lead")
    co = list(params.get("co") or [])
    out: list[Handler] = []
    seen: set[tuple[str, int]] = set()
    for target, role in [(lead, AssignmentRole.LEAD)] + [(c, AssignmentRole.CO) for c in co]:
        if isinstance(target, Organisation):
            if target.kind not in DISPATCH_KINDS:
                raise CaseError(f"不能派给“{target.name}”", "lead")
            key = ("o", target.pk)
            out_item: Handler = (target, None, role)
        elif isinstance(target, get_user_model()):
            if not target.is_active or not target.has_perm("cases.handle_case"):
                raise CaseError(f"“{target}”不能承办工单", "lead")
            key = ("u", target.pk)
            out_item = (None, target, role)
        else:
            raise CaseError("承办对象无效", "lead")
        if key in seen:
            raise CaseError("主办和协办不能重复", "co")
        seen.add(key)
        out.append(out_item)
    return out


def _assign(ctx: Ctx, items: list[Handler], via: str) -> list[str]:
    due = deadlines.sign_due(ctx.case.category, ctx.now, ctx.cal)
    names = []
    for org, user, role in items:
        Assignment.objects.create(
            case=ctx.case,
            organisation=org,
            user=user,
            role=role,
            state=AssignmentState.PENDING,
            via=via,
            sign_due_at=due,
            created_at=ctx.now,
        )
        names.append(f"{'主办' if role == AssignmentRole.LEAD else '协办'}:{org or user}")
        if user is not None:
            ctx.notify_users.add(user.pk)
        elif org is not None:
            ctx.notify_users.update(org_handler_ids(org.pk))
    return names


@handles("dispatch")
def _dispatch(ctx: Ctx) -> None:
    items = _handlers_from(ctx.params)
    ctx.data["handlers"] = _assign(ctx, items, "dispatch")
    ctx.notice = f"新派单待签收：{ctx.case.title}"


@handles("publish")
def _publish(ctx: Ctx) -> None:
    ctx.data["pool"] = True


@handles("claim")
def _claim(ctx: Ctx) -> None:
    Assignment.objects.create(
        case=ctx.case,
        user=ctx.actor,
        role=AssignmentRole.LEAD,
        state=AssignmentState.SIGNED,
        via="claim",
        created_at=ctx.now,
        signed_at=ctx.now,
    )
    ctx.data["on_time"] = True
    _first_response(ctx)
    _owner_staff(ctx)
    _reporter(ctx)
    ctx.notice = f"您的诉求已有人接单：{ctx.case.title}"


@handles("release")
def _release(ctx: Ctx) -> None:
    _end_assignments(ctx, AssignmentState.RELEASED, _active(ctx.case).filter(via="claim"))
    _owner_staff(ctx)


@handles("recall")
def _recall(ctx: Ctx) -> None:
    ctx.notify_users.update(handler_user_ids(ctx.case))
    _end_assignments(ctx, AssignmentState.RECALLED)


@handles("set_handlers")
def _set_handlers(ctx: Ctx) -> None:
    """Add co-handlers (协办) and/or take some off; the lead stays."""
    add = list(ctx.params.get("add_co") or [])
    remove = [int(x) for x in ctx.params.get("remove") or []]
    if not add and not remove:
        raise CaseError("请选择要增加或取消的协办", "co")
    if remove:
        qs = _active(ctx.case).filter(pk__in=remove, role=AssignmentRole.CO)
        if qs.count() != len(set(remove)):
            raise CaseError("只能取消在办的协办", "remove")
        _end_assignments(ctx, AssignmentState.RECALLED, qs)
    if add:
        existing = {(a.organisation_id, a.user_id) for a in _active(ctx.case)}
        items = []
        for target in add:
            pair = (target.pk, None) if isinstance(target, Organisation) else (None, target.pk)
            if pair in existing:
                raise CaseError(f"“{target}”已在承办", "co")
            items.append(target)
        parsed = _handlers_from({"lead": items[0], "co": items[1:]})
        ctx.data["added"] = _assign(
            ctx, [(o, u, AssignmentRole.CO) for o, u, _r in parsed], "dispatch"
        )
    ctx.data["removed"] = remove


# ---------------------------------------------------------------- handling


def _sign_mine(ctx: Ctx, role: str) -> None:
    mine = list(_mine(ctx).filter(state=AssignmentState.PENDING, role=role))
    if not mine:
        raise CaseError("没有待您签收的派单")
    on_time = all(a.sign_due_at is None or ctx.now <= a.sign_due_at for a in mine)
    for a in mine:
        a.state, a.signed_at = AssignmentState.SIGNED, ctx.now
        a.save(update_fields=["state", "signed_at"])
    ctx.data["on_time"] = on_time


@handles("sign")
def _sign(ctx: Ctx) -> None:
    _sign_mine(ctx, AssignmentRole.LEAD)
    _first_response(ctx)
    _owner_staff(ctx)


@handles("sign_co")
def _sign_co(ctx: Ctx) -> None:
    _sign_mine(ctx, AssignmentRole.CO)


@handles("return")
def _return(ctx: Ctx) -> None:
    mine = _mine(ctx)
    _end_assignments(ctx, AssignmentState.RETURNED, mine)
    ctx.notify_users.update(handler_user_ids(ctx.case))
    _end_assignments(ctx, AssignmentState.RECALLED)
    _owner_staff(ctx)
    ctx.notice = f"工单被回退：{ctx.case.title}"


@handles("suspend")
def _suspend(ctx: Ctx) -> None:
    deadlines.pause(ctx.case, ctx.now)
    _owner_staff(ctx)


@handles("resume")
def _resume(ctx: Ctx) -> None:
    deadlines.unpause(ctx.case, ctx.now, ctx.cal)
    ctx.data["due_at"] = ctx.case.due_at.isoformat() if ctx.case.due_at else None


def _amount(ctx: Ctx) -> tuple[int, str]:
    try:
        amount = int(ctx.params.get("amount") or 0)
    except (TypeError, ValueError):
        amount = 0
    unit = ctx.params.get("unit") or LimitUnit.WORKDAYS
    if unit not in LimitUnit.values:
        raise CaseError("延期单位无效", "unit")
    top = 720 if unit == LimitUnit.HOURS else 30
    if not 1 <= amount <= top:
        raise CaseError(f"延期时长须在1到{top}之间", "amount")
    return amount, unit


@handles("request_extension")
def _request_extension(ctx: Ctx) -> None:
    amount, unit = _amount(ctx)
    Extension.objects.create(
        case=ctx.case,
        requested_by=ctx.actor,
        requested_at=ctx.now,
        amount=amount,
        unit=unit,
        reason=ctx.note[:500],
        state=ExtensionState.PENDING,
    )
    ctx.data.update(amount=amount, unit=unit)
    _owner_staff(ctx)
    ctx.notice = f"延期申请待审批：{ctx.case.title}"


def _pending_extension(ctx: Ctx) -> Extension:
    ext = ctx.case.extensions.filter(state=ExtensionState.PENDING).first()
    if ext is None:
        raise Conflict("没有待审批的延期申请")
    return ext


@handles("approve_extension")
def _approve_extension(ctx: Ctx) -> None:
    ext = _pending_extension(ctx)
    deadlines.extend(ctx.case, ext.amount, ext.unit, ctx.cal)
    ext.state, ext.decided_by, ext.decided_at = ExtensionState.APPROVED, ctx.actor, ctx.now
    ext.save(update_fields=["state", "decided_by", "decided_at"])
    due = ctx.case.due_at.isoformat() if ctx.case.due_at else None
    ctx.data.update(amount=ext.amount, unit=ext.unit, due_at=due)
    ctx.notify_users.update(handler_user_ids(ctx.case))


@handles("reject_extension")
def _reject_extension(ctx: Ctx) -> None:
    ext = _pending_extension(ctx)
    ext.state, ext.decided_by, ext.decided_at = ExtensionState.REJECTED, ctx.actor, ctx.now
    ext.save(update_fields=["state", "decided_by", "decided_at"])
    ctx.notify_users.update(handler_user_ids(ctx.case))


@handles("resolve")
def _resolve(ctx: Ctx) -> None:
    case = ctx.case
    case.resolution = ctx.note  # required by the workflow table, checked by perform
    case.resolved_at = ctx.now
    case.resolved_on_time = case.due_at is None or ctx.now <= case.due_at
    ctx.data["on_time"] = case.resolved_on_time
    _owner_staff(ctx)
    ctx.notice = f"工单已回单待审核：{case.title}"


# ---------------------------------------------------------------- verification and rating


@handles("verify")
def _verify(ctx: Ctx) -> None:
    ctx.case.rating_due_at = ctx.now + dt.timedelta(days=settings.CASE_RATING_DAYS)
    _reporter(ctx)
    ctx.notice = f"您的诉求已办理完毕，请评价：{ctx.case.title}"


@handles("verify_close")
def _verify_close(ctx: Ctx) -> None:
    _close(ctx)
    ctx.notify_users.update(handler_user_ids(ctx.case))


@handles("reject_resolution")
def _reject_resolution(ctx: Ctx) -> None:
    ctx.case.resolved_at = None
    ctx.notify_users.update(handler_user_ids(ctx.case))
    ctx.notice = f"回单未通过审核：{ctx.case.title}"


def _rating(ctx: Ctx) -> None:
    rating = ctx.params.get("rating")
    if rating not in Rating.values:
        raise CaseError("请选择评价：满意、基本满意或不满意", "rating")
    solved = ctx.params.get("solved")
    if solved not in (True, False):
        raise CaseError("请选择问题是否已解决", "solved")
    case = ctx.case
    case.rating, case.solved, case.rated_at = rating, solved, ctx.now
    case.rating_comment = str(ctx.params.get("comment") or "")[:500]
    ctx.data.update(rating=rating, solved=solved)


@handles("rate")
def _rate(ctx: Ctx) -> None:
    _rating(ctx)
    if ctx.case.rating == Rating.UNSATISFIED:
        raise CaseError("不满意请选择“不满意，重办”", "rating")
    _close(ctx)
    ctx.notify_users.update(handler_user_ids(ctx.case))
    _owner_staff(ctx)


@handles("reopen")
def _reopen(ctx: Ctx) -> None:
    ctx.params.setdefault("rating", Rating.UNSATISFIED)
    _rating(ctx)
    if ctx.case.rating != Rating.UNSATISFIED:
        raise CaseError("满意或基本满意请直接评价", "rating")
    case = ctx.case
    case.reopen_count += 1
    case.resolved_at = None
    case.resolved_on_time = None
    deadlines.start_clock(case, ctx.now, ctx.cal)  # 重办 gets a fresh time limit
    ctx.notify_users.update(handler_user_ids(case))
    _owner_staff(ctx)
    ctx.notice = f"居民不满意，工单重办：{case.title}"


@handles("reopen_closed")
def _reopen_closed(ctx: Ctx) -> None:
    case = ctx.case
    case.reopen_count += 1
    case.closed_at = None
    case.resolved_at = None
    case.resolved_on_time = None
    deadlines.start_clock(case, ctx.now, ctx.cal)
    ctx.notify_users.update(handler_user_ids(case))
    ctx.notice = f"工单经核查未解决，重新办理：{case.title}"


@handles("expire_rating")
def _expire_rating(ctx: Ctx) -> None:
    ctx.case.rating_expired = True
    _close(ctx)


@handles("archive")
def _archive(ctx: Ctx) -> None:
    ctx.case.archived_at = ctx.now


# Escalation, whistle and supervision handlers live in their own module; importing it
# registers them in HANDLERS.
from . import moves_escalation  # noqa: E402, F401
