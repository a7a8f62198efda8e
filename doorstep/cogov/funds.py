"""The co-governance fund (共治基金): an append-only ledger per fund.

Lines: 收入 (income, in), 拨付项目 (an allocation to a project, out of the available
balance), 项目支出 (spending from a project's allocation, with a receipt), 结余退回 (what a
project did not spend, back to the balance) and 冲正 (a reversal: the inverse of one posted
line, once). A posted line is never changed.

`post` takes the fund row under a lock, works out the line's effect on the balance and on
the project's allocation, refuses anything that would take either below zero (or allocate
beyond the project's budget from the fund), writes the line with its running balance,
moves the balance and audits it — all in one transaction. A line above the fund's
threshold is not posted at once: it waits as an `accounts.Approval` ("fund_line") until
another keeper of the fund (who holds `cogov.approve_fund` over it) approves it, and is
posted then, checked again. `recount` rebuilds every balance from the lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from doorstep.accounts import approvals
from doorstep.accounts.models import Approval
from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core import audit
from doorstep.core.access import scope_of

from .errors import CogovError, Conflict, NotAllowed
from .models import BudgetSource, Fund, FundLine, LineKind, Project
from .project_flow import P
from .services import choice, quantity, text
from .uploads import check_document

ZERO = Decimal("0")
FUNDED_STAGES = (P.APPROVED, P.RUNNING, P.INSPECTION)  # a project may receive and spend


SIGNS: dict[str, tuple[int, int]] = {
    LineKind.INCOME: (1, 0),
    LineKind.ALLOCATE: (-1, 1),
    LineKind.EXPENSE: (0, -1),
    LineKind.REFUND: (1, -1),
}


def _apply(kind: str, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(effect on the balance, effect on the project's allocation) of a plain line."""
    b, a = SIGNS[kind]
    return amount * b, amount * a


def effect(line: FundLine) -> tuple[Decimal, Decimal]:
    """What a posted line did to (balance, its project's allocation)."""
    if line.kind == LineKind.REVERSAL:
        assert line.reverses is not None
        b, a = effect(line.reverses)
        return -b, -a
    return _apply(line.kind, line.amount)


def may_keep(actor: Actor, fund: Fund) -> bool:
    perm = "cogov.change_fund"
    return bool(actor.has_perm(perm)) and scope_of(actor, perm).covers(fund.path)


def may_approve(actor: Actor, fund: Fund) -> bool:
    perm = "cogov.approve_fund"
    return bool(actor.has_perm(perm)) and scope_of(actor, perm).covers(fund.path)


@transaction.atomic
def create_fund(*, actor: Actor, owner: Organisation, name: Any, threshold: Any) -> Fund:
    if owner.kind not in (Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY):
        raise CogovError("共治基金由街道或社区设立", "owner")
    perm = "cogov.add_fund"
    if not (actor.has_perm(perm) and scope_of(actor, perm).covers(owner.path)):
        raise NotAllowed("您不能为该单位设立基金")
    limit = quantity(threshold, "threshold", "复核金额", required=True)
    assert limit is not None  # required
    fund = Fund.objects.create(
        name=text(name, "name", "基金名称", 60), owner=owner, path=owner.path, threshold=limit
    )
    audit.record(actor=actor, action="create", target=fund)
    return fund


def allocated(fund: Fund, project: Project) -> Decimal:
    """What the project holds of the fund now: allocated, less spent and returned."""
    total = ZERO
    lines = FundLine.objects.filter(fund=fund).filter(
        Q(project=project) | Q(reverses__project=project)
    )
    for line in lines.select_related("reverses"):
        total += effect(line)[1]
    return total


def allocated_ever(fund: Fund, project: Project) -> Decimal:
    """Allocations to the project, less their reversals (for the budget check)."""
    given = FundLine.objects.filter(fund=fund, project=project, kind=LineKind.ALLOCATE)
    gross = given.aggregate(s=Sum("amount"))["s"] or ZERO
    undone = given.filter(reversed_by__isnull=False).aggregate(s=Sum("amount"))["s"] or ZERO
    return gross - undone


def project_money(project: Project) -> dict[str, Any]:
    """What the funds gave a project (allocations less refunds) and what it spent, each
    reversal counted against the line it undoes; `any`: whether a line names it at all."""
    given = spent = ZERO
    lines = FundLine.objects.filter(Q(project=project) | Q(reverses__project=project))
    for line in lines.select_related("reverses"):
        original = line.reverses or line
        amount = -line.amount if line.reverses else line.amount
        if original.kind == LineKind.ALLOCATE:
            given += amount
        elif original.kind == LineKind.EXPENSE:
            spent += amount
        elif original.kind == LineKind.REFUND:
            given -= amount
    return {"given": given, "spent": spent, "any": lines.exists()}


def budget_from_fund(project: Project) -> Decimal:
    return project.budget.filter(source=BudgetSource.FUND).aggregate(s=Sum("amount"))["s"] or ZERO


@dataclass(frozen=True)
class Draft:
    """A line checked but not posted yet (waiting for a second person above the threshold)."""

    kind: str
    amount: Decimal
    project_id: int | None
    counterpart: str
    memo: str
    receipt: str  # the stored file's name ("" for none)
    reverses_id: int | None = None

    def payload(self, fund: Fund) -> dict[str, Any]:
        return {
            "fund": fund.pk,
            "kind": self.kind,
            "amount": str(self.amount),
            "project": self.project_id,
            "counterpart": self.counterpart,
            "memo": self.memo,
            "receipt": self.receipt,
            "reverses": self.reverses_id,
        }

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Draft:
        return cls(
            kind=payload["kind"],
            amount=Decimal(payload["amount"]),
            project_id=payload.get("project"),
            counterpart=payload.get("counterpart", ""),
            memo=payload.get("memo", ""),
            receipt=payload.get("receipt", ""),
            reverses_id=payload.get("reverses"),
        )


def _project(fund: Fund, project: Project | None, kind: str) -> Project | None:
    if kind == LineKind.INCOME:
        return None
    if project is None:
        raise CogovError("请选择项目", "project")
    if not project.path.startswith(fund.path):
        raise CogovError("该项目不在基金的使用范围内", "project")
    if project.status not in FUNDED_STAGES and kind != LineKind.REFUND:
        raise CogovError("项目立项后、验收前才能拨付和支出", "project")
    return project


def submit(
    *,
    actor: Actor,
    fund: Fund,
    kind: Any,
    amount: Any,
    memo: Any,
    project: Project | None = None,
    counterpart: Any = "",
    receipt: Any = None,
) -> FundLine | Approval:
    """Post a line, or — above the fund's threshold — file it for a second person."""
    if not may_keep(actor, fund):
        raise NotAllowed("您不能记录该基金的收支")
    code = choice(kind, LineKind, "kind", "类别")
    if code == LineKind.REVERSAL:
        raise CogovError("冲正请在要冲正的那一笔上操作", "kind")
    value = quantity(amount, "amount", "金额", required=True)
    assert value is not None
    target = _project(fund, project, code)
    if code == LineKind.EXPENSE and receipt is None:
        raise CogovError("项目支出须附票据", "receipt")
    if receipt is not None:
        check_document(receipt, "票据", "receipt")
    draft = Draft(
        kind=code,
        amount=value,
        project_id=target.pk if target else None,
        counterpart=text(
            counterpart, "counterpart", "对方单位", 60, required=code == LineKind.INCOME
        ),
        memo=text(memo, "memo", "摘要", 200),
        receipt="",
    )
    _check(Fund.objects.get(pk=fund.pk), draft)  # refuse at once what cannot post now
    stored = ""
    if receipt is not None:
        stored = default_storage.save(
            f"cogov/receipts/{timezone.localdate():%Y/%m}/{receipt.name}", receipt
        )
    draft = Draft(**{**draft.__dict__, "receipt": stored})
    if value > fund.threshold:
        return _file(actor, fund, draft)
    return post(fund, draft, actor=actor)


def reverse(*, actor: Actor, line: FundLine, memo: Any) -> FundLine | Approval:
    """Undo a posted line with its inverse (冲正); above the threshold, a second person."""
    fund = Fund.objects.get(pk=line.fund_id)  # its balance now
    if not may_keep(actor, fund):
        raise NotAllowed("您不能冲正该基金的收支")
    if line.kind == LineKind.REVERSAL:
        raise CogovError("冲正的记录不能再冲正")
    if FundLine.objects.filter(reverses=line).exists():
        raise Conflict("该笔已冲正")
    draft = Draft(
        kind=LineKind.REVERSAL,
        amount=line.amount,
        project_id=line.project_id,
        counterpart=line.counterpart,
        memo=text(memo, "memo", "冲正原因", 200),
        receipt="",
        reverses_id=line.pk,
    )
    _check(fund, draft)
    if line.amount > fund.threshold:
        return _file(actor, fund, draft)
    return post(fund, draft, actor=actor)


def _file(actor: Actor, fund: Fund, draft: Draft) -> Approval:
    label = LineKind(draft.kind).label
    return approvals.request(
        kind=Approval.Kind.FUND_LINE,
        actor=actor,
        target=actor,
        summary=f"{fund.name}：{label} {draft.amount} 元（{draft.memo}）",
        payload=draft.payload(fund),
    )


def _effects(draft: Draft) -> tuple[Decimal, Decimal]:
    if draft.kind == LineKind.REVERSAL:
        original = FundLine.objects.select_related("reverses").get(pk=draft.reverses_id or 0)
        b, a = effect(original)
        return -b, -a
    return _apply(draft.kind, draft.amount)


def _check(fund: Fund, draft: Draft) -> tuple[Decimal, Decimal]:
    """The balance after the line and the project's allocation after it; a CogovError if
    either would go below zero, or an allocation beyond the project's budget from the fund."""
    d_balance, d_alloc = _effects(draft)
    balance = fund.balance + d_balance
    if balance < 0:
        raise CogovError(
            f"基金可用余额不足：余额{fund.balance}元，本笔需要{-d_balance}元", "amount"
        )
    held = ZERO
    if draft.project_id is not None:
        project = Project.objects.get(pk=draft.project_id)
        held = allocated(fund, project) + d_alloc
        if held < 0:
            what = "支出" if draft.kind == LineKind.EXPENSE else "退回"
            raise CogovError(
                f"超出该项目的拨付余额：项目尚有{held - d_alloc}元，本笔{what}{draft.amount}元",
                "amount",
            )
        if draft.kind == LineKind.ALLOCATE:
            room = budget_from_fund(project) - allocated_ever(fund, project)
            if draft.amount > room:
                raise CogovError(
                    f"超出项目预算中由共治基金列支的部分：尚可拨付{max(room, ZERO)}元", "amount"
                )
    return balance, held


def post(fund: Fund, draft: Draft, *, actor: Actor, approved_by: Actor | None = None) -> FundLine:
    """Write one line (see the module): lock, check, line, balance, audit."""
    with transaction.atomic():
        locked = Fund.objects.select_for_update().get(pk=fund.pk)
        if (
            draft.reverses_id is not None
            and FundLine.objects.filter(reverses_id=draft.reverses_id).exists()
        ):
            raise Conflict("该笔已冲正")
        balance, _held = _check(locked, draft)
        seq = (FundLine.objects.filter(fund=locked).aggregate(m=Max("seq"))["m"] or 0) + 1
        line = FundLine.objects.create(
            fund=locked,
            seq=seq,
            kind=draft.kind,
            amount=draft.amount,
            project_id=draft.project_id,
            counterpart=draft.counterpart,
            memo=draft.memo,
            receipt=draft.receipt,
            reverses_id=draft.reverses_id,
            balance_after=balance,
            posted_by=actor,
            approved_by=approved_by,
            posted_at=timezone.now(),
        )
        Fund.objects.filter(pk=locked.pk).update(balance=balance)
        fund.balance = balance
        audit.record(
            actor=approved_by or actor,
            action="create",
            target=line,
            detail={"fund": locked.pk, "kind": draft.kind, "amount": str(draft.amount), "seq": seq},
        )
    return line


@approvals.decider(Approval.Kind.FUND_LINE)
def _who_decides(actor: Actor, approval: Approval) -> str | None:
    fund = Fund.objects.filter(pk=approval.payload.get("fund")).first()
    if fund is None:
        return "该基金已不存在"
    if not may_approve(actor, fund):
        return "只有该基金的复核人可以审批"
    return None


@approvals.executor(Approval.Kind.FUND_LINE)
def _post_approved(approval: Approval, actor: Actor) -> dict[str, Any]:
    fund = Fund.objects.get(pk=approval.payload["fund"])
    requester = approval.requested_by or actor
    line = post(fund, Draft.of(approval.payload), actor=requester, approved_by=actor)
    return {"line": line.pk}


def pending(fund: Fund) -> Any:
    """Lines of the fund waiting for a second person."""
    return Approval.objects.outside_door(
        "the fund's own lines waiting for a second person: shown to the fund's keepers"
    ).filter(kind=Approval.Kind.FUND_LINE, status=Approval.Status.PENDING, payload__fund=fund.pk)


# -- reading --------------------------------------------------------------------------------


def recount(funds: Any = None) -> list[tuple[Fund, Decimal, Decimal]]:
    """(fund, stored balance, balance from its lines) for every fund that disagrees; the
    running balance of each line is checked as well."""
    wrong = []
    for fund in funds if funds is not None else Fund.objects.order_by("id"):
        balance = ZERO
        ok = True
        for line in FundLine.objects.filter(fund=fund).select_related("reverses").order_by("seq"):
            balance += effect(line)[0]
            ok &= balance == line.balance_after and balance >= 0
        if not ok or balance != fund.balance:
            wrong.append((fund, fund.balance, balance))
    return wrong


@dataclass
class Statement:
    fund: Fund
    start: dt.date
    end: dt.date
    opening: Decimal
    lines: list[FundLine]
    closing: Decimal
    totals: dict[str, Decimal]


def statement(fund: Fund, start: dt.date, end: dt.date) -> Statement:
    """The fund's lines posted from `start` to `end` (local days, both included), with the
    balance before and after and the totals by kind."""
    if end < start:
        raise CogovError("结束日期不能早于开始日期", "end")
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    before = fund.lines.filter(posted_at__lt=since).order_by("-seq").first()
    lines = list(
        fund.lines.filter(posted_at__gte=since, posted_at__lt=until)
        .select_related("project", "reverses", "posted_by", "approved_by")
        .order_by("seq")
    )
    opening = before.balance_after if before else ZERO
    closing = lines[-1].balance_after if lines else opening
    totals: dict[str, Decimal] = {code: ZERO for code in LineKind.values}
    for line in lines:
        totals[line.kind] += line.amount
    return Statement(fund, start, end, opening, lines, closing, totals)
