"""Owners' votes on a compound matter (业主共同决定事项), under 民法典 第二百七十八条.

Staff of the community draw up a ballot for a compound and open it: the roll is then
taken from the housing register (`atlas.people.holdings.roll_of`) and kept, so later edits
of the register never move a result. Each part votes once — online by its registered
owner or proxy, or from a paper ballot entered by staff; an owner of several parts votes
them all at once, one way. After the deadline staff close it; the tally is always a
recount of the ballot rows (GROUP BY in the database) through `vote_rule.decide`. How a part voted is shown only
to its own voters and to staff holding `deliberation.view_vote_choices`, each such view
audited.

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (or its
`NotAllowed` / `Conflict`) with a Chinese message, and leaves nothing written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.people.holdings import roll_of
from doorstep.atlas.places.models import Compound, Household
from doorstep.core import audit
from doorstep.core.access import scope_of

from .clean import choice, moment, text
from .errors import Conflict, DeliberationError, NotAllowed
from .models import Ballot, BallotStatus, BallotVote, Channel, RollEntry
from .models.ballots import ChoiceLabel, MatterChoice
from .vote_rule import Choice, Matter, OwnersTally, Share, decide


def _may(actor: Actor, perm: str, path: str) -> bool:
    return actor.has_perm(perm) and scope_of(actor, perm).covers(path)


def parts_of(compound: Compound) -> Any:
    """The exclusive parts of a compound: the households in its buildings."""
    return Household.objects.outside_door("a compound's parts, for its owners' roll").filter(
        unit__building__compound=compound
    )


@transaction.atomic
def draw_up(
    *,
    actor: Actor,
    compound: Compound | None,
    title: Any,
    question: Any,
    matter: Any,
    opens_at: Any,
    closes_at: Any,
) -> Ballot:
    if compound is None:
        raise DeliberationError("请选择小区", "compound")
    path = compound.community.path
    if not _may(actor, "deliberation.add_ballot", path):
        raise NotAllowed("您不能为该小区发起表决")
    title = text(title, "title", "表决事项", 60)
    question = text(question, "question", "表决内容", 2000)
    matter = choice(matter, MatterChoice, "matter", "事项类别")
    first = moment(opens_at, "opens_at", "投票开始时间")
    last = moment(closes_at, "closes_at", "投票截止时间")
    if last <= first:
        raise DeliberationError("投票截止时间应晚于开始时间", "closes_at")
    ballot = Ballot.objects.create(
        compound=compound,
        path=path,
        title=title,
        question=question,
        matter=matter,
        opens_at=first,
        closes_at=last,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", target=ballot)
    return ballot


def _locked(ballot: Ballot) -> Ballot:
    return (
        Ballot.objects.outside_door("the ballot the caller holds, locked")
        .select_for_update()
        .get(pk=ballot.pk)
    )


@transaction.atomic
def open_ballot(*, actor: Actor, ballot: Ballot) -> Ballot:
    """Take the roll from the register and open the ballot. Every part must have its area
    registered: a roll with holes would count the wrong thresholds."""
    locked = _locked(ballot)
    if not _may(actor, "deliberation.change_ballot", locked.path):
        raise NotAllowed("您不能开启该表决")
    if locked.status != BallotStatus.DRAFT:
        raise Conflict("该表决已经开启过")
    roll = roll_of(parts_of(locked.compound))
    if not roll:
        raise DeliberationError("该小区没有登记专有部分（户），无法表决", "compound")
    missing = [p for p in roll if p.area is None]
    if missing:
        raise DeliberationError(
            f"该小区有 {len(missing)} 户未登记专有部分面积，请先补全房屋登记", "compound"
        )
    RollEntry.objects.bulk_create(
        RollEntry(ballot=locked, household_id=p.household_id, owner=p.owner, area=p.area or 0)
        for p in roll
    )
    locked.status = BallotStatus.OPEN
    locked.save(update_fields=["status"])
    audit.record(actor=actor, action="open", target=locked, detail={"parts": len(roll)})
    return locked


def voters_of(ballot: Ballot, household: Household) -> frozenset[int]:
    """The logins who may vote the part online now: its registered owners and proxy."""
    for part in roll_of(parts_of(ballot.compound).filter(pk=household.pk)):
        return part.voters
    return frozenset()


@transaction.atomic
def cast(
    *,
    actor: Actor,
    ballot: Ballot,
    household: Household | None,
    choice_: Any,
    channel: Any = Channel.ONLINE,
) -> list[BallotVote]:
    """Record how a part voted (and every other part of the same owner, the same way)."""
    locked, now = _open_now(ballot)
    if household is None:
        raise DeliberationError("请选择房屋", "household")
    entry = RollEntry.objects.filter(ballot=locked, household=household).first()
    if entry is None:
        raise DeliberationError("该户不在本次表决范围内", "household")
    said = choice(choice_, ChoiceLabel, "choice", "表决意见")
    if channel == Channel.PAPER:
        # staff of the community, or of the part's grid (who collect ballots door to door)
        if not _may(actor, "deliberation.add_ballotvote", household.grid.path):
            raise NotAllowed("您不能录入纸质表决票")
    elif channel == Channel.ONLINE:
        if actor.pk not in voters_of(locked, household):
            raise NotAllowed("只有该户登记的业主或委托代理人可以投票")
    else:
        raise DeliberationError("请选择投票方式", "channel")
    return _record(locked, actor, {entry.owner: said}, channel, now, "该户已投票，不能重复投票")


def _open_now(ballot: Ballot) -> tuple[Ballot, Any]:
    """The ballot locked, and the moment, if it is open for votes now."""
    locked = _locked(ballot)
    now = timezone.now()
    if locked.status != BallotStatus.OPEN:
        raise Conflict("该表决不在投票期" if locked.status == BallotStatus.DRAFT else "投票已截止")
    if now < locked.opens_at:
        raise Conflict("投票尚未开始")
    if now >= locked.closes_at:
        raise Conflict("投票已截止")
    return locked, now


def _record(
    locked: Ballot, actor: Actor, by_owner: dict[str, str], channel: str, now: Any, already: str
) -> list[BallotVote]:
    """Write a vote for every part of each owner, one way per owner; none if any of those
    parts has voted. The audit names who cast for which parts, never how."""
    parts = dict(
        RollEntry.objects.filter(ballot=locked, owner__in=by_owner).values_list(
            "household_id", "owner"
        )
    )
    if BallotVote.objects.filter(ballot=locked, household_id__in=parts).exists():
        raise Conflict(already)
    try:
        with transaction.atomic():
            votes = BallotVote.objects.bulk_create(
                (BallotVote(ballot=locked, household_id=h, choice=by_owner[owner],
                            channel=channel, cast_by=actor, cast_at=now)
                 for h, owner in parts.items()),
                batch_size=1000,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict(already) from None
    audit.record(
        actor=actor, action="vote", target=locked,
        detail={"parts": sorted(parts), "channel": channel},
    )  # fmt: skip
    return votes


def tally(ballot: Ballot) -> OwnersTally:
    """A recount from the ballot's rows in one GROUP BY: the roll joined to the votes of
    this ballot, per choice (none: did not vote), its owners counted once and areas summed.
    The service writes an owner's vote on every part of theirs, alike, so each owner falls
    in one group and the roll's totals are the groups' sums."""
    groups: dict[str | None, Share] = {
        said: Share(total or 0, owners)
        for said, owners, total in RollEntry.objects.filter(ballot=ballot)
        .values_list("vote__choice")
        .annotate(owners=Count("owner", distinct=True), total=Sum("area"))
        .values_list("vote__choice", "owners", "total")
        .order_by()
    }
    if not groups:
        raise DeliberationError("表决范围内没有业主")
    said = {c: groups.get(c.value, Share(0, 0)) for c in Choice}
    voted = Share(sum(s.area for s in said.values()), sum(s.owners for s in said.values()))
    away = groups.get(None, Share(0, 0))
    total = Share(voted.area + away.area, voted.owners + away.owners)
    return decide(Matter(ballot.matter), total, voted, said[Choice.YES], said[Choice.NO])


def figures(t: OwnersTally) -> dict[str, Any]:
    return {**asdict(t), "quorum": t.quorum, "passed": t.passed}


@transaction.atomic
def close_ballot(*, actor: Actor, ballot: Ballot) -> Ballot:
    locked = _locked(ballot)
    if not _may(actor, "deliberation.change_ballot", locked.path):
        raise NotAllowed("您不能结束该表决")
    if locked.status != BallotStatus.OPEN:
        raise Conflict("该表决不在投票期")
    if timezone.now() < locked.closes_at:
        raise DeliberationError("投票截止前不能结束表决", "closes_at")
    result = tally(locked)
    locked.status = BallotStatus.CLOSED
    locked.result = figures(result)
    locked.passed = result.passed
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "result", "passed", "closed_at"])
    audit.record(actor=actor, action="close", target=locked, detail={"passed": result.passed})
    return locked


@transaction.atomic
def choices_of(*, actor: Actor, ballot: Ballot) -> dict[int, str]:
    """How each part voted, for staff who may see it; the view is audited."""
    if not _may(actor, "deliberation.view_vote_choices", ballot.path):
        raise NotAllowed("您没有查看各户表决意见的权限")
    audit.record(actor=actor, action="view_vote_choices", target=ballot)
    return dict(BallotVote.objects.filter(ballot=ballot).values_list("household_id", "choice"))


def my_parts(user: Actor, ballot: Ballot) -> list[tuple[int, str | None]]:
    """The parts on the roll the user may vote for, and how each voted (their own)."""
    entries = RollEntry.objects.filter(
        ballot=ballot, household__holdings__resident__user=user
    ).values_list("household_id", flat=True)
    said = dict(
        BallotVote.objects.filter(ballot=ballot, household_id__in=list(entries)).values_list(
            "household_id", "choice"
        )
    )
    return [(h, said.get(h)) for h in sorted(set(entries))]


@dataclass(frozen=True)
class Threshold:
    """One line of a result: what is needed, what there is, and whether it is met."""

    label: str
    have: int
    need: int  # the least integer that meets the rule
    of: int  # the base the rule is a share of
    share: str  # the rule, in the law's words
    met: bool
    area: bool  # amounts in 0.01 m² (else owners)


def _least_at_least(whole: int, num: int, den: int) -> int:
    return -(-whole * num // den)  # ceil(whole·num/den): 以上


def thresholds(t: OwnersTally) -> list[Threshold]:
    """The four tests of a result, each with the least amount that meets it."""
    if t.matter == Matter.MAJOR:
        agree = ("四分之三以上", lambda v: _least_at_least(v, 3, 4))
    else:
        agree = ("过半数", lambda v: v // 2 + 1)
    return [
        Threshold("参与表决的专有部分面积", t.voted.area, _least_at_least(t.total.area, 2, 3),
                  t.total.area, "三分之二以上", t.quorum_area, True),
        Threshold("参与表决的业主人数", t.voted.owners, _least_at_least(t.total.owners, 2, 3),
                  t.total.owners, "三分之二以上", t.quorum_owners, False),
        Threshold("同意的专有部分面积", t.yes.area, agree[1](t.voted.area), t.voted.area,
                  agree[0], t.pass_area, True),
        Threshold("同意的业主人数", t.yes.owners, agree[1](t.voted.owners), t.voted.owners,
                  agree[0], t.pass_owners, False),
    ]  # fmt: skip


MAX_BATCH = 2000  # paper ballots entered at once (a compound's stack)


@transaction.atomic
def enter_paper_stack(*, actor: Actor, ballot: Ballot, choices: dict[int, Any]) -> int:
    """Enter a stack of paper ballots at once (唱票录入): {household id: choice}. All or
    nothing: one part off the roll, out of the actor's area, already voted, or one owner's
    two parts marked two ways refuses the whole stack. Returns the parts recorded (an
    owner's other parts follow their choice)."""
    locked, now = _open_now(ballot)
    if not choices or len(choices) > MAX_BATCH:
        raise DeliberationError(f"一次录入 1–{MAX_BATCH} 张表决票", "choices")
    said = {h: choice(c, ChoiceLabel, "choice", "表决意见") for h, c in choices.items()}
    entries = {
        e.household_id: e for e in RollEntry.objects.filter(ballot=locked, household_id__in=said)
    }
    if len(entries) != len(said):
        raise DeliberationError("有房屋不在本次表决范围内", "household")
    grids = dict(
        Household.objects.outside_door("the grids of the parts entered, to check the scope")
        .filter(pk__in=said)
        .values_list("pk", "grid__path")
    )
    if not all(_may(actor, "deliberation.add_ballotvote", grids[h]) for h in said):
        raise NotAllowed("您不能录入这些房屋的纸质表决票")
    by_owner: dict[str, str] = {}
    for h, c in said.items():
        if by_owner.setdefault(entries[h].owner, c) != c:
            raise DeliberationError("同一业主的多套房屋表决意见不一致", "choices")
    votes = _record(locked, actor, by_owner, Channel.PAPER, now, "有房屋已投票，不能重复投票")
    return len(votes)


def pending_for(user: Actor) -> list[Ballot]:
    """The open ballots the user may still vote in: a part of theirs on the roll, unvoted
    (what `my_parts` tells of each, for them all in three queries)."""
    now = timezone.now()
    candidates = list(
        Ballot.objects.visible_to(user)
        .filter(status=BallotStatus.OPEN, opens_at__lte=now, closes_at__gt=now)
        .filter(roll__household__holdings__resident__user=user)
        .select_related("compound")
        .distinct()
        .order_by("closes_at", "pk")
    )
    if not candidates:
        return []
    ids = [b.pk for b in candidates]
    parts = set(
        RollEntry.objects.filter(
            ballot_id__in=ids, household__holdings__resident__user=user
        ).values_list("ballot_id", "household_id")
    )
    voted = set(
        BallotVote.objects.filter(
            ballot_id__in=ids, household_id__in={h for _b, h in parts}
        ).values_list("ballot_id", "household_id")
    )
    unvoted = {b for b, h in parts - voted}
    return [b for b in candidates if b.pk in unvoted]
