"""The lifecycle of a community project (为民服务项目 / 治理项目) as data.

申报 → 审核 → 立项 → 实施 → 验收 → 公示 → 评价, with 退回修改, 驳回, 整改 and 终止. No database
access here: `projects.perform` works out the facts (the actor's permissions over the
project's place, its budget and milestones), asks `available(...)`, and writes the event.

A move names the permission it needs (on `cogov.Project`), the statuses it leaves from,
where it goes, whether a note is required and guards: facts that must hold ("has_budget")
or must not ("!open_milestones").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


class P:
    PROPOSED = "proposed"
    REVIEW = "review"
    APPROVED = "approved"
    RUNNING = "running"
    INSPECTION = "inspection"
    PUBLIC = "public"
    RATED = "rated"
    REJECTED = "rejected"
    STOPPED = "stopped"


STATUS_LABELS: dict[str, str] = {
    P.PROPOSED: "申报",
    P.REVIEW: "审核中",
    P.APPROVED: "已立项",
    P.RUNNING: "实施中",
    P.INSPECTION: "待验收",
    P.PUBLIC: "公示中",
    P.RATED: "已评价",
    P.REJECTED: "未通过",
    P.STOPPED: "已终止",
}
STATUS_CHOICES = list(STATUS_LABELS.items())
# The stages in order, for a progress bar and the cockpit's "projects by stage".
STAGES = [P.PROPOSED, P.REVIEW, P.APPROVED, P.RUNNING, P.INSPECTION, P.PUBLIC, P.RATED]
FINAL = frozenset({P.RATED, P.REJECTED, P.STOPPED})
LIVE = frozenset(STAGES) - FINAL

CHANGE = "cogov.change_project"  # the community that runs it
APPROVE = "cogov.approve_project"  # the street (or whoever holds it) reviews and inspects


@dataclass(frozen=True)
class Move:
    code: str
    label: str
    sources: frozenset[str]
    target: str
    perm: str
    note_required: bool = False
    guards: tuple[str, ...] = ()
    style: str = ""  # "primary" for the usual next step


def _m(
    code: str,
    label: str,
    sources: Iterable[str],
    target: str,
    perm: str,
    *,
    note: bool = False,
    guards: Iterable[str] = (),
    style: str = "",
) -> Move:
    return Move(code, label, frozenset(sources), target, perm, note, tuple(guards), style)


MOVES: dict[str, Move] = {
    m.code: m
    for m in (
        _m("submit", "提交审核", [P.PROPOSED], P.REVIEW, CHANGE, guards=["has_budget"], style="primary"),
        _m("withdraw", "撤回申报", [P.PROPOSED], P.STOPPED, CHANGE, note=True),
        _m("send_back", "退回修改", [P.REVIEW], P.PROPOSED, APPROVE, note=True),
        _m("approve", "批准立项", [P.REVIEW], P.APPROVED, APPROVE, guards=["has_budget"], style="primary"),
        _m("reject", "驳回", [P.REVIEW], P.REJECTED, APPROVE, note=True),
        _m("start", "开始实施", [P.APPROVED], P.RUNNING, CHANGE, style="primary"),
        _m("finish", "完工，申请验收", [P.RUNNING], P.INSPECTION, CHANGE, guards=["!open_milestones"], style="primary"),
        _m("pass", "验收通过，公示", [P.INSPECTION], P.PUBLIC, APPROVE, style="primary"),
        _m("rework", "验收不通过，整改", [P.INSPECTION], P.RUNNING, APPROVE, note=True),
        _m("close", "结束公示与评价", [P.PUBLIC], P.RATED, CHANGE, style="primary"),
        _m("stop", "终止项目", [P.APPROVED, P.RUNNING, P.INSPECTION], P.STOPPED, APPROVE, note=True),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Facts:
    status: str
    perms: frozenset[str]  # the project permissions the actor holds over its place
    flags: frozenset[str] = field(default_factory=frozenset)  # "has_budget", "open_milestones"


def why_not(move: Move, facts: Facts) -> str | None:
    """Why `move` is closed to these facts (a Chinese reason), or None when it is open."""
    if facts.status not in move.sources:
        return f"项目当前为“{STATUS_LABELS[facts.status]}”，不能{move.label}"
    if move.perm not in facts.perms:
        return f"您没有{move.label}的权限"
    for guard in move.guards:
        wanted = not guard.startswith("!")
        name = guard.lstrip("!")
        if (name in facts.flags) != wanted:
            return GUARD_REASONS[guard]
    return None


GUARD_REASONS = {
    "has_budget": "请先填写项目预算",
    "!open_milestones": "还有未完成的节点，请先完成或调整节点",
}


def available(facts: Facts) -> list[Move]:
    return [m for m in MOVES.values() if why_not(m, facts) is None]
