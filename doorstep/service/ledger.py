"""The points ledger: grant, reverse, redeem, recount. The one door for every balance.

Each change locks the person's account row, appends a line carrying the balance after it,
and moves the account in the same transaction, so the sum of a person's lines always
equals their balance (`recount` checks it). Nothing is updated or deleted afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from doorstep.accounts.typing import Actor

from .errors import Conflict, ServiceError
from .models import LineKind, PointAccount, PointLine, Redemption, Reward
from .rules import room_left, rule_for


def _account(user: Actor | int) -> PointAccount:
    """The user's account, locked for this transaction (created on first use)."""
    PointAccount.objects.get_or_create(user_id=user.pk if hasattr(user, "pk") else user)
    qs = PointAccount.objects.all()
    if connection.vendor == "postgresql":
        qs = qs.select_for_update()
    return qs.get(user_id=user.pk if hasattr(user, "pk") else user)


def _append(
    account: PointAccount,
    *,
    kind: str,
    amount: int,
    organisation: Any,
    source: str,
    rule: str = "",
    reverses: PointLine | None = None,
    note: str = "",
    actor: Actor | None = None,
) -> PointLine:
    balance = account.balance + amount
    if balance < 0:
        raise ServiceError("积分不足")
    line = PointLine.objects.create(
        user_id=account.user_id,
        organisation=organisation,
        organisation_path=organisation.path,
        kind=kind,
        rule=rule,
        source=source[:40],
        amount=amount,
        balance_after=balance,
        reverses=reverses,
        note=note[:200],
        created_at=timezone.now(),  # read at call time (the demo's clock may be set back)
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    account.balance = balance
    if kind in (LineKind.GRANT, LineKind.REVERSAL):
        account.earned += amount
    else:
        account.spent -= amount
    account.updated_at = timezone.now()
    account.save(update_fields=["balance", "earned", "spent", "updated_at"])
    return line


def grant(
    *,
    user: Actor,
    code: str,
    source: str,
    organisation: Any,
    units: Decimal | int = 1,
    actor: Actor | None = None,
    note: str = "",
) -> PointLine | None:
    """Points for one action under the rule in force there (once per source; capped per
    period). Returns the line, or None when there is no rule, no room under the cap, or
    the source was already granted."""
    rule = rule_for(code, organisation)
    if rule is None or rule.points == 0:
        return None
    amount = int((Decimal(rule.points) * Decimal(units)).to_integral_value(ROUND_DOWN))
    with transaction.atomic():
        account = _account(user)
        left = room_left(rule, user)
        if left is not None:
            amount = min(amount, left)
        if amount <= 0:
            return None
        if PointLine.objects.filter(
            user_id=account.user_id, rule=code, source=source, kind=LineKind.GRANT
        ).exists():
            return None
        try:
            with transaction.atomic():
                line = _append(
                    account,
                    kind=LineKind.GRANT,
                    amount=amount,
                    organisation=organisation,
                    source=source,
                    rule=code,
                    note=note or rule.get_code_display(),
                    actor=actor,
                )
        except IntegrityError:
            return None  # granted by a concurrent call for the same source
        _settle(account, line, actor)
        return line


def _settle(account: PointAccount, line: PointLine, actor: Actor | None) -> None:
    """Take what earlier reversals still owe out of a new grant (a reversal line)."""
    settle = min(account.owed, account.balance)
    if settle <= 0:
        return
    _append(
        account,
        kind=LineKind.REVERSAL,
        amount=-settle,
        organisation=line.organisation,
        source=line.source,
        rule=line.rule,
        note="抵扣此前未能冲销的积分",
        actor=actor,
    )
    account.owed -= settle
    account.save(update_fields=["owed"])


def reverse_source(
    source_prefix: str, *, actor: Actor | None = None, note: str = ""
) -> list[PointLine]:
    """Reverse every standing grant whose source starts with the prefix (e.g. a case that
    was reopened after its points were granted). A reversal is a new negative line; when
    the person has already spent some of the points, what is left is taken back and the
    rest is owed (`PointAccount.owed`), settled out of their next grants."""
    out = []
    with transaction.atomic():
        grants = list(
            PointLine.objects.filter(
                kind=LineKind.GRANT,
                source__startswith=source_prefix,
                reversed_by__isnull=True,
            )
            .select_related("organisation")
            .order_by("id")
        )
        for line in grants:
            account = _account(line.user_id)
            take = min(line.amount, account.balance)
            if take < line.amount:  # already spent: owed, settled by later grants
                account.owed += line.amount - take
                account.save(update_fields=["owed"])
            out.append(
                _append(
                    account,
                    kind=LineKind.REVERSAL,
                    amount=-take,
                    organisation=line.organisation,
                    source=line.source,
                    rule=line.rule,
                    reverses=line,
                    note=note or "冲销",
                    actor=actor,
                )
            )
    return out


def redeem(
    *, user: Actor, reward: Reward | int, quantity: int = 1, actor: Actor | None = None
) -> Redemption:
    """Spend points on a catalogue item; refused beyond the balance or the stock."""
    if not 1 <= quantity <= 100:
        raise ServiceError("兑换数量应在1到100之间", "quantity")
    pk = reward if isinstance(reward, int) else reward.pk
    with transaction.atomic():
        account = _account(user)
        qs = Reward.objects.select_related("organisation")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(of=("self",))
        item = qs.filter(pk=pk).first()
        if item is None or not item.active:
            raise ServiceError("该物品不存在或已下架", "reward")
        if item.stock < quantity:
            raise Conflict(f"库存不足（剩余{item.stock}件）")
        cost = item.cost * quantity
        if account.balance < cost:
            raise ServiceError(f"积分不足：需要{cost}分，当前可用{account.balance}分", "quantity")
        line = _append(
            account,
            kind=LineKind.REDEMPTION,
            amount=-cost,
            organisation=item.organisation,
            source=f"reward:{item.pk}",
            note=f"兑换{item.name}×{quantity}",
            actor=actor,
        )
        if (
            Reward.objects.filter(pk=item.pk, stock__gte=quantity).update(
                stock=item.stock - quantity
            )
            != 1
        ):
            raise Conflict("库存已变化，请重试")
        return Redemption.objects.create(
            user_id=account.user_id, reward=item, quantity=quantity, points=cost, line=line
        )


def balance_of(user: Actor) -> PointAccount:
    return PointAccount.objects.filter(user=user).first() or PointAccount(user=user)


@dataclass(frozen=True)
class Mismatch:
    user_id: int
    field: str
    shown: int
    ledger: int


def _sums(user_ids: Any = None) -> dict[int, dict[str, Any]]:
    lines = PointLine.objects.all()
    if user_ids is not None:
        lines = lines.filter(user_id__in=user_ids)
    return {
        row["user_id"]: dict(row)
        for row in lines.values("user_id").annotate(
            total=Sum("amount"),
            earned=Sum("amount", filter=Q(kind__in=(LineKind.GRANT, LineKind.REVERSAL))),
            spent=Sum("amount", filter=Q(kind__in=(LineKind.REDEMPTION, LineKind.REFUND))),
        )
    }


def _wanted(row: dict[str, Any]) -> dict[str, int]:
    return {
        "balance": row.get("total") or 0,
        "earned": row.get("earned") or 0,
        "spent": -(row.get("spent") or 0),
    }


def recount(*, fix: bool = False) -> list[Mismatch]:
    """Compare every account with the sums of its ledger lines. With fix, each account
    found different is locked, recounted under the lock (grants committing meanwhile are
    not lost) and set to its sums; people with lines but no account get one."""
    sums = _sums()
    found: list[Mismatch] = []
    seen = set()
    for account in PointAccount.objects.all().order_by("user_id"):
        seen.add(account.user_id)
        want = _wanted(sums.get(account.user_id, {}))
        for field, value in want.items():
            if getattr(account, field) != value:
                found.append(Mismatch(account.user_id, field, getattr(account, field), value))
    for user_id in set(sums) - seen:
        found.append(Mismatch(user_id, "balance", 0, sums[user_id]["total"] or 0))
    if fix:
        for user_id in sorted({m.user_id for m in found}):
            with transaction.atomic():
                account = _account(user_id)  # locked (created if missing)
                want = _wanted(_sums([user_id]).get(user_id, {}))
                PointAccount.objects.filter(pk=account.pk).update(**want)
    return found
