"""Escalation (上报, 越级上报), the whistle (吹哨 → 报到 → 评价部门) and supervision
(督办, 催办): the handlers of moves.py for these moves, kept apart by topic.

Imported at the end of moves.py, which registers them in its HANDLERS table.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from doorstep.atlas.organisations.models import Kind, Organisation

from . import deadlines
from .errors import CaseError, Conflict
from .models import AssignmentRole, AssignmentState, Summons, Whistle
from .moves import (
    SUMMON_KINDS,
    Handler,
    _active,
    _assign,
    _end_assignments,
    _first_response,
    handles,
)
from .scoping import org_handler_ids
from .services import Ctx, handler_user_ids, staff_of, top_of

# ---------------------------------------------------------------- escalation and whistle


@handles("escalate", "skip_escalate")
def _escalate(ctx: Ctx) -> None:
    case = ctx.case
    new_owner: Organisation | None
    if ctx.move.code == "skip_escalate":
        new_owner = top_of(case.owner)
    else:
        new_owner = case.owner.parent
        while new_owner is not None and new_owner.kind not in (
            Kind.COMMUNITY,
            Kind.STREET,
            Kind.DISTRICT,
        ):
            new_owner = new_owner.parent
    if new_owner is None or new_owner.pk == case.owner_id:
        raise CaseError("已是最高一级，不能再上报")
    ctx.data.update(from_owner=case.owner.name, to_owner=new_owner.name)
    case.owner, case.owner_path = new_owner, new_owner.path
    ctx.notify_users.update(handler_user_ids(case))
    _end_assignments(ctx, AssignmentState.RECALLED)
    if case.submitted_at is None:  # 越级上报 straight from a patrol draft
        case.submitted_at = ctx.now
    if case.accepted_at is None:
        case.accepted_at = ctx.now
        ctx.data["received"] = True
    if case.due_at is None:
        deadlines.start_clock(case, ctx.now, ctx.cal)
    elif case.paused_at is not None:
        deadlines.unpause(case, ctx.now, ctx.cal)
    ctx.notify_users.update(staff_of(new_owner, "cases.dispatch_case"))
    ctx.notice = f"下级上报工单：{case.title}"


@handles("whistle")
def _whistle(ctx: Ctx) -> None:
    case = ctx.case
    departments = list(ctx.params.get("departments") or [])
    if not departments:
        raise CaseError("请至少选择一个职能部门", "departments")
    if len({d.pk for d in departments}) != len(departments):
        raise CaseError("部门不能重复", "departments")
    for d in departments:
        if not isinstance(d, Organisation) or d.kind not in SUMMON_KINDS:
            raise CaseError(f"“{d}”不是职能部门或共建单位", "departments")
    report_by = ctx.params.get("report_by") or ctx.now + dt.timedelta(
        minutes=settings.CASE_WHISTLE_MINUTES
    )
    if report_by <= ctx.now:
        raise CaseError("报到时限不能早于现在", "report_by")
    if report_by > ctx.now + dt.timedelta(days=7):
        raise CaseError("报到时限不能超过7天", "report_by")
    whistle = Whistle.objects.create(
        case=case,
        street=top_of(case.territory),
        whistled_by=ctx.actor,
        created_at=ctx.now,
        report_by=report_by,
        note=ctx.note,
    )
    for d in departments:
        Summons.objects.create(whistle=whistle, department=d)
    has_lead = _active(case).filter(role=AssignmentRole.LEAD).exists()
    already = set(_active(case).values_list("organisation_id", flat=True))
    items: list[Handler] = []
    for i, d in enumerate(departments):
        if d.pk in already:
            continue
        role = AssignmentRole.LEAD if (i == 0 and not has_lead) else AssignmentRole.CO
        items.append((d, None, role))
    _assign(ctx, items, "whistle")
    if case.paused_at is not None:
        deadlines.unpause(case, ctx.now, ctx.cal)
    if case.due_at is None:
        deadlines.start_clock(case, ctx.now, ctx.cal)
    ctx.data.update(
        whistle=whistle.pk,
        departments=[d.name for d in departments],
        report_by=report_by.isoformat(),
    )
    ctx.notice = f"街道吹哨，请于{report_by:%m-%d %H:%M}前报到：{case.title}"


@handles("report_in")
def _report_in(ctx: Ctx) -> None:
    from .scoping import handler_org_ids

    orgs = handler_org_ids(ctx.actor)
    summonses = list(
        Summons.objects.select_related("whistle").filter(
            whistle__case=ctx.case, department_id__in=orgs, reported_at__isnull=True
        )
    )
    if not summonses:
        raise Conflict("没有待报到的吹哨")
    on_time = True
    for s in summonses:
        s.reported_at, s.reported_by = ctx.now, ctx.actor
        s.save(update_fields=["reported_at", "reported_by"])
        on_time = on_time and ctx.now <= s.whistle.report_by
        _active(ctx.case).filter(organisation=s.department, state=AssignmentState.PENDING).update(
            state=AssignmentState.SIGNED, signed_at=ctx.now
        )
    ctx.data.update(departments=[s.department.name for s in summonses], on_time=on_time)
    _first_response(ctx)
    ctx.notify_users.update(staff_of(summonses[0].whistle.street, "cases.whistle_case"))
    ctx.notice = f"部门已报到：{ctx.case.title}"


@handles("evaluate")
def _evaluate(ctx: Ctx) -> None:
    scores: dict[int, tuple[int, str]] = ctx.params.get("scores") or {}
    pending = {s.pk: s for s in Summons.objects.filter(whistle__case=ctx.case, score__isnull=True)}
    if not scores:
        raise CaseError("请为部门打分", "scores")
    done = []
    for sid, (score, text) in scores.items():
        s = pending.get(int(sid))
        if s is None:
            raise CaseError("该部门已评价或不在本次吹哨中", "scores")
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise CaseError("评分须为1到5分", "scores")
        s.score, s.evaluation, s.evaluated_at = score, str(text or "")[:500], ctx.now
        s.save(update_fields=["score", "evaluation", "evaluated_at"])
        done.append({"department": s.department.name, "score": score})
        ctx.notify_users.update(org_handler_ids(s.department_id))
    ctx.data["scores"] = done


@handles("supervise", "urge")
def _supervise(ctx: Ctx) -> None:
    holders = handler_user_ids(ctx.case)
    if not holders:
        holders = set(staff_of(ctx.case.owner, "cases.dispatch_case"))
    ctx.notify_users.update(holders)
    label = "督办" if ctx.move.code == "supervise" else "催办"
    ctx.notice = f"【{label}】{ctx.case.title}"
    ctx.data["to"] = len(holders)
