"""The case lifecycle as data: statuses, moves, and who may make each move.

No database access here. `cases.services.perform` is the one place that makes a move: it
works out the facts about the actor and the case (their relations and the guards below),
asks `allowed(...)` whether the move is open to them, and writes the event.

A move names the permission it needs (a Django permission on `cases.Case`), the relations
that qualify the actor (any one suffices), and guards: facts about the case that must hold
(`"has_rater"`) or must not (`"!has_rater"`). `target=None` keeps the status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


class S:
    """Statuses (工单状态)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    NEEDS_INFO = "needs_info"
    DISPATCHED = "dispatched"
    POOL = "pool"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    RESOLVED = "resolved"
    PENDING_RATING = "pending_rating"
    CLOSED = "closed"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


STATUS_LABELS: dict[str, str] = {
    S.DRAFT: "草稿",
    S.SUBMITTED: "待受理",
    S.ACCEPTED: "已受理",
    S.NEEDS_INFO: "待补充",
    S.DISPATCHED: "已派单",
    S.POOL: "待接单",
    S.SIGNED: "已签收",
    S.IN_PROGRESS: "办理中",
    S.SUSPENDED: "已挂起",
    S.RESOLVED: "办结待核实",
    S.PENDING_RATING: "待评价",
    S.CLOSED: "已办结",
    S.ARCHIVED: "已归档",
    S.CANCELLED: "已撤销",
}
STATUS_CHOICES = list(STATUS_LABELS.items())

FINAL = frozenset({S.ARCHIVED, S.CANCELLED})
# Statuses in which someone still has work to do: the deadline clock and the sweep apply.
OPEN = frozenset(
    {
        S.SUBMITTED,
        S.ACCEPTED,
        S.NEEDS_INFO,
        S.DISPATCHED,
        S.POOL,
        S.SIGNED,
        S.IN_PROGRESS,
        S.SUSPENDED,
        S.RESOLVED,
    }
)
# Statuses of a case not finished yet: open, a draft, or waiting for the rating. Few
# among a year's cases; a partial index over them (Case.Meta) finds what waits on someone.
UNFINISHED = tuple(sorted(OPEN | {S.DRAFT, S.PENDING_RATING}))
# Statuses where a handler holds the case.
HANDLING = frozenset({S.SIGNED, S.IN_PROGRESS, S.SUSPENDED})
DONE = frozenset({S.PENDING_RATING, S.CLOSED, S.ARCHIVED})


class R:
    """Relations of an actor to a case (any one listed on a move qualifies)."""

    REPORTER = "reporter"  # filed it
    OWNER = "owner"  # staff whose scope covers the organisation that dispatches it
    TERRITORY = "territory"  # staff whose scope covers where it is
    ASSIGNEE = "assignee"  # holds an active assignment (themselves or their organisation)
    LEAD = "lead"  # holds the lead (主办) assignment
    CLAIMER = "claimer"  # took it from the pool
    POOL = "pool"  # may take orders from the pool the case is in
    SUMMONED = "summoned"  # liaison of a department summoned by an open whistle, not yet in
    RATER = "rater"  # the reporter, or the owner's staff on a callback when nobody filed online
    SYSTEM = "system"  # the deadline sweep


@dataclass(frozen=True)
class Move:
    code: str
    label: str
    sources: frozenset[str]
    target: str | None
    permission: str | None
    relations: frozenset[str]
    guards: tuple[str, ...] = ()
    needs_note: bool = False  # a note is required
    takes_note: bool = False  # a note is offered, optional (a required one is offered too)
    photos: str = ""  # "" (none taken) | "optional" | "required"
    fields: tuple[str, ...] = ()  # inputs of the move's own (its form and API parameters)
    style: str = ""  # "primary" | "danger" | "" (how the page shows its button)
    help: str = ""

    def to(self, status: str) -> str:
        return self.target or status

    @property
    def note_rule(self) -> str:
        """ "required", "optional" or "" (the move takes no note)."""
        return "required" if self.needs_note else ("optional" if self.takes_note else "")


def _m(
    code: str,
    label: str,
    sources: Iterable[str],
    target: str | None,
    permission: str | None,
    relations: Iterable[str],
    **kw: object,
) -> Move:
    return Move(code, label, frozenset(sources), target, permission, frozenset(relations), **kw)  # type: ignore[arg-type]


_HANDLING_OR_WAITING = {S.ACCEPTED, S.DISPATCHED, S.POOL, S.SIGNED, S.IN_PROGRESS, S.SUSPENDED}
_ANY_OPEN = OPEN
# Final statuses take no move at all: report and evaluate up to 已办结, not after 归档.
_AFTER_WHISTLE = OPEN | (DONE - FINAL)

MOVES: tuple[Move, ...] = (
    # Intake
    _m("submit", "提交", {S.DRAFT}, S.SUBMITTED, "cases.add_case", {R.REPORTER}, style="primary"),
    _m(
        "self_handle",
        "自行处置",
        {S.DRAFT},
        S.CLOSED,
        "cases.report_patrol",
        {R.REPORTER},
        help="网格员现场解决，须附照片和处置说明",
        needs_note=True,
        photos="required",
    ),
    _m(
        "withdraw",
        "撤回申请",
        {S.DRAFT, S.SUBMITTED, S.NEEDS_INFO},
        S.CANCELLED,
        "cases.add_case",
        {R.REPORTER},
        style="danger",
    ),
    _m(
        "accept",
        "受理",
        {S.SUBMITTED},
        S.ACCEPTED,
        "cases.receive_case",
        {R.OWNER},
        style="primary",
        takes_note=True,
        fields=("category", "urgency"),
    ),
    _m(
        "request_info",
        "退回补充",
        {S.SUBMITTED, S.ACCEPTED},
        S.NEEDS_INFO,
        "cases.receive_case",
        {R.OWNER},
        needs_note=True,
    ),
    _m(
        "supplement",
        "补充材料",
        {S.NEEDS_INFO},
        S.SUBMITTED,
        "cases.add_case",
        {R.REPORTER},
        needs_note=True,
        style="primary",
        photos="optional",
    ),
    _m(
        "merge",
        "合并重复",
        {S.SUBMITTED, S.ACCEPTED, S.NEEDS_INFO},
        S.CANCELLED,
        "cases.receive_case",
        {R.OWNER},
        help="并入另一件相同诉求，本件撤销",
        takes_note=True,
        fields=("target",),
    ),
    _m(
        "cancel",
        "撤销",
        {S.SUBMITTED, S.ACCEPTED, S.NEEDS_INFO},
        S.CANCELLED,
        "cases.receive_case",
        {R.OWNER},
        needs_note=True,
        style="danger",
    ),
    # Dispatch (社区派单) and the claimable pool (党员接单)
    _m(
        "dispatch",
        "派单",
        {S.ACCEPTED},
        S.DISPATCHED,
        "cases.dispatch_case",
        {R.OWNER},
        style="primary",
        takes_note=True,
        fields=("lead", "co"),
    ),
    _m("publish", "发布到接单池", {S.ACCEPTED}, S.POOL, "cases.dispatch_case", {R.OWNER}),
    _m("claim", "接单", {S.POOL}, S.SIGNED, "cases.claim_case", {R.POOL}, style="primary"),
    _m(
        "release",
        "放弃接单",
        {S.SIGNED, S.IN_PROGRESS},
        S.POOL,
        "cases.claim_case",
        {R.CLAIMER},
        needs_note=True,
    ),
    _m(
        "recall",
        "撤回派单",
        {S.DISPATCHED, S.POOL},
        S.ACCEPTED,
        "cases.dispatch_case",
        {R.OWNER},
    ),
    _m(
        "set_handlers",
        "调整主办/协办",
        {S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.SUSPENDED},
        None,
        "cases.dispatch_case",
        {R.OWNER},
        takes_note=True,
        fields=("lead", "co"),
    ),
    # Handling
    _m(
        "sign",
        "签收",
        {S.DISPATCHED},
        S.SIGNED,
        "cases.handle_case",
        {R.ASSIGNEE},
        guards=("pending_lead",),
        style="primary",
    ),
    _m(
        "sign_co",
        "签收协办",
        {S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.SUSPENDED},
        None,
        "cases.handle_case",
        {R.ASSIGNEE},
        guards=("pending_co",),
    ),
    _m(
        "return",
        "回退",
        {S.DISPATCHED, S.SIGNED},
        S.ACCEPTED,
        "cases.handle_case",
        {R.ASSIGNEE},
        guards=("!claimed", "holds_lead"),
        needs_note=True,
        style="danger",
        help="不属于本单位职责时退回派单单位，须写明原因",
    ),
    _m(
        "start",
        "开始办理",
        {S.SIGNED},
        S.IN_PROGRESS,
        "cases.handle_case",
        {R.LEAD},
        style="primary",
    ),
    _m(
        "suspend",
        "挂起",
        {S.IN_PROGRESS},
        S.SUSPENDED,
        "cases.handle_case",
        {R.LEAD},
        needs_note=True,
        help="等待第三方时挂起，期间不计时限",
    ),
    _m("resume", "恢复办理", {S.SUSPENDED}, S.IN_PROGRESS, "cases.handle_case", {R.LEAD}),
    _m(
        "request_extension",
        "申请延期",
        {S.SIGNED, S.IN_PROGRESS},
        None,
        "cases.handle_case",
        {R.LEAD},
        guards=("!pending_extension",),
        needs_note=True,
        fields=("until",),
    ),
    _m(
        "approve_extension",
        "同意延期",
        {S.SIGNED, S.IN_PROGRESS, S.SUSPENDED},
        None,
        "cases.dispatch_case",
        {R.OWNER},
        guards=("pending_extension",),
        takes_note=True,
    ),
    _m(
        "reject_extension",
        "驳回延期",
        {S.SIGNED, S.IN_PROGRESS, S.SUSPENDED},
        None,
        "cases.dispatch_case",
        {R.OWNER},
        guards=("pending_extension",),
        needs_note=True,
    ),
    _m(
        "resolve",
        "回单",
        {S.IN_PROGRESS},
        S.RESOLVED,
        "cases.handle_case",
        {R.LEAD},
        style="primary",
        help="写明办理结果，可附照片",
        needs_note=True,
        photos="optional",
    ),
    # Verification, rating, closure
    _m(
        "verify",
        "审核通过",
        {S.RESOLVED},
        S.PENDING_RATING,
        "cases.dispatch_case",
        {R.OWNER},
        guards=("has_rater",),
        style="primary",
        takes_note=True,
    ),
    _m(
        "verify_close",
        "审核通过并办结",
        {S.RESOLVED},
        S.CLOSED,
        "cases.dispatch_case",
        {R.OWNER},
        guards=("!has_rater",),
        style="primary",
        takes_note=True,
    ),
    _m(
        "reject_resolution",
        "审核退回",
        {S.RESOLVED},
        S.IN_PROGRESS,
        "cases.dispatch_case",
        {R.OWNER},
        needs_note=True,
        photos="optional",
    ),
    _m(
        "rate",
        "评价",
        {S.PENDING_RATING},
        S.CLOSED,
        "cases.rate_case",
        {R.RATER},
        style="primary",
        help="满意或基本满意即办结",
    ),
    _m(
        "reopen",
        "不满意，重办",
        {S.PENDING_RATING},
        S.IN_PROGRESS,
        "cases.rate_case",
        {R.RATER},
        style="danger",
    ),
    _m("expire_rating", "评价期满自动办结", {S.PENDING_RATING}, S.CLOSED, None, {R.SYSTEM}),
    _m("archive", "归档", {S.CLOSED}, S.ARCHIVED, "cases.dispatch_case", {R.OWNER, R.SYSTEM}),
    # A closed case found unsolved on a return visit (回访) goes back to its dispatcher;
    # the points and hours its closing earned are taken back (doorstep.service).
    _m(
        "reopen_closed",
        "核查未解决，重新办理",
        {S.CLOSED},
        S.ACCEPTED,
        "cases.supervise_case",
        {R.OWNER},
        style="danger",
        needs_note=True,
    ),
    # Escalation (街道吹哨、部门报到) and supervision
    _m(
        "escalate",
        "上报",
        {S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.SUSPENDED},
        S.ACCEPTED,
        "cases.escalate_case",
        {R.OWNER, R.LEAD, R.SYSTEM},  # SYSTEM: the sweep escalates overdue cases by rule
        guards=("!owner_is_top",),
        needs_note=True,
        help="交上一级处理",
    ),
    _m(
        "skip_escalate",
        "越级上报",
        {S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.SUSPENDED},
        S.ACCEPTED,
        "cases.escalate_case",
        {R.OWNER, R.LEAD, R.TERRITORY},
        guards=("!owner_is_top", "!owner_under_top"),
        needs_note=True,
        help="直接报街道，须说明理由",
    ),
    _m(
        "whistle",
        "吹哨",
        _HANDLING_OR_WAITING,
        S.IN_PROGRESS,
        "cases.whistle_case",
        {R.TERRITORY},
        style="danger",
        help="召集职能部门限时报到",
        takes_note=True,
        fields=("departments", "report_by"),
    ),
    _m(
        "report_in",
        "报到",
        _AFTER_WHISTLE,
        None,
        "cases.report_whistle",
        {R.SUMMONED},
        style="primary",
    ),
    _m(
        "evaluate",
        "评价部门",
        _AFTER_WHISTLE,
        None,
        "cases.whistle_case",
        {R.TERRITORY},
        guards=("unevaluated_summons",),
        fields=("scores",),
    ),
    _m(
        "supervise", "督办", _ANY_OPEN, None, "cases.supervise_case", {R.TERRITORY}, needs_note=True
    ),
    _m(
        "urge",
        "催办",
        _ANY_OPEN,
        None,
        "cases.supervise_case",
        {R.TERRITORY, R.OWNER, R.SYSTEM},
        needs_note=True,
    ),
)

MOVES_BY_CODE: dict[str, Move] = {m.code: m for m in MOVES}
# Moves that do not change the status and that the system makes itself are not offered
# as buttons; everything else is.
SYSTEM_ONLY = frozenset(m.code for m in MOVES if m.relations == {R.SYSTEM})


@dataclass(frozen=True)
class Facts:
    """What is true of an actor and a case, worked out by the service."""

    status: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    relations: frozenset[str] = field(default_factory=frozenset)
    flags: frozenset[str] = field(default_factory=frozenset)


def guard_holds(guard: str, flags: frozenset[str]) -> bool:
    return (guard[1:] not in flags) if guard.startswith("!") else (guard in flags)


def why_not(move: Move, facts: Facts) -> str | None:
    """None if the move is open to the actor; otherwise the reason, in Chinese."""
    if facts.status not in move.sources:
        return f"当前状态“{STATUS_LABELS.get(facts.status, facts.status)}”不能{move.label}"
    for guard in move.guards:
        if not guard_holds(guard, facts.flags):
            return f"当前不能{move.label}"
    if R.SYSTEM in facts.relations and R.SYSTEM in move.relations:
        return None
    if move.permission and move.permission not in facts.permissions:
        return f"没有“{move.label}”的权限"
    if not (move.relations & facts.relations):
        return f"您不是可以{move.label}的人"
    return None


def allowed(move: Move, facts: Facts) -> bool:
    return why_not(move, facts) is None


def available(facts: Facts) -> list[Move]:
    """The moves open to this actor now, in table order (system-only moves left out)."""
    return [m for m in MOVES if m.code not in SYSTEM_ONLY and allowed(m, facts)]


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES if status in m.sources]


def is_final(status: str) -> bool:
    return status in FINAL
