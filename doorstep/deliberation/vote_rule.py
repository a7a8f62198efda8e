"""The rule of a vote, as pure functions over integers (no database, no floats).

Owners' matters of a compound follow 民法典 第二百七十八条:

- participation: owners holding two thirds or more (三分之二以上) of the exclusive floor area
  *and* two thirds or more of the owners take part;
- items 6–8 of the article (raising maintenance funds; rebuilding or altering buildings and
  their ancillary facilities; changing the use of common parts or running a business on
  them) pass with three quarters or more (四分之三以上) of the participating area *and* of the
  participating owners agreeing;
- every other matter (using maintenance funds, choosing or dismissing the property company,
  rules, the owners' committee …) passes with more than half (过半数) of both.

"以上" includes the number itself (民法典 第一千二百五十九条); "过半数" does not.

Owners are counted as the Supreme People's Court's interpretation on 建筑物区分所有权 says
(第八条、第九条): area as registered; one exclusive part counts as one owner; the developer's
unsold or undelivered parts count as one owner together, and so do all the parts of one
buyer. The caller says who the owner of each part is (`Part.owner`): the same key for the
parts of one buyer and for all the developer's parts. Tenants are not owners and never
appear here.

Areas are integers in 0.01 m² and every threshold compares integer products, so exactly
2/3, 1/2 and 3/4 fall on the side the law puts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .errors import DeliberationError


class Matter(StrEnum):
    """Which majority an owners' matter needs."""

    MAJOR = "major"  # 第二百七十八条第一款第六至八项: 四分之三以上
    ORDINARY = "ordinary"  # the other items: 过半数


class Choice(StrEnum):
    YES = "yes"  # 同意
    NO = "no"  # 反对
    ABSTAIN = "abstain"  # 弃权


class RuleError(DeliberationError):
    """The input cannot be tallied (an empty roll, one owner voting two ways…)."""


@dataclass(frozen=True)
class Part:
    """An exclusive part (专有部分) on the roll: its id, its owner's key and its area in
    0.01 m² as registered."""

    id: int
    owner: str
    area: int


@dataclass(frozen=True)
class Share:
    """An amount of area (0.01 m²) and of owners."""

    area: int
    owners: int


@dataclass(frozen=True)
class OwnersTally:
    matter: Matter
    total: Share  # everyone on the roll
    voted: Share  # those who took part (同意、反对、弃权 alike)
    yes: Share
    no: Share
    quorum_area: bool  # 参与表决面积 ≥ 2/3
    quorum_owners: bool  # 参与表决人数 ≥ 2/3
    pass_area: bool  # 同意面积 ≥ 3/4 (major) or > 1/2 (ordinary) of the participating area
    pass_owners: bool

    @property
    def quorum(self) -> bool:
        return self.quorum_area and self.quorum_owners

    @property
    def passed(self) -> bool:
        return self.quorum and self.pass_area and self.pass_owners


def _share(parts: Iterable[Part]) -> Share:
    parts = list(parts)
    return Share(sum(p.area for p in parts), len({p.owner for p in parts}))


def at_least(part: int, whole: int, num: int, den: int) -> bool:
    """part / whole ≥ num / den, in integers (以上: the number itself counts)."""
    return part * den >= whole * num


def more_than(part: int, whole: int, num: int, den: int) -> bool:
    """part / whole > num / den, in integers (过半数 with 1/2)."""
    return part * den > whole * num


def owners_tally(
    parts: Iterable[Part], choices: Mapping[int, Choice], matter: Matter
) -> OwnersTally:
    """Tally an owners' vote. `parts` is the roll (every exclusive part of the compound, as
    registered when the ballot opened); `choices` maps a part's id to how it was voted.

    An owner with several parts is one owner who took part if any of their parts voted, and
    must have voted every part the same way (the ballot records one choice per owner)."""
    roll = list(parts)
    if not roll:
        raise RuleError("表决范围内没有业主")
    if any(p.area < 0 for p in roll):
        raise RuleError("专有部分面积不能为负")
    by_id = {p.id: p for p in roll}
    unknown = set(choices) - set(by_id)
    if unknown:
        raise RuleError("有不在表决范围内的专有部分投票")
    owner_choice: dict[str, Choice] = {}
    for part_id, choice in choices.items():
        owner = by_id[part_id].owner
        if owner_choice.setdefault(owner, Choice(choice)) != choice:
            raise RuleError("同一业主的多个专有部分表决意见不一致")
    voted = [p for p in roll if p.owner in owner_choice]
    yes = [p for p in voted if owner_choice[p.owner] == Choice.YES]
    no = [p for p in voted if owner_choice[p.owner] == Choice.NO]
    return decide(matter, _share(roll), _share(voted), _share(yes), _share(no))


def decide(matter: Matter, total: Share, took_part: Share, agreed: Share, no: Share) -> OwnersTally:
    """The thresholds over the shares: everyone on the roll, those who took part, those
    who agreed and those against (owners counted once each, areas summed)."""
    if matter == Matter.MAJOR:
        pass_area = at_least(agreed.area, took_part.area, 3, 4)
        pass_owners = at_least(agreed.owners, took_part.owners, 3, 4)
    else:
        pass_area = more_than(agreed.area, took_part.area, 1, 2)
        pass_owners = more_than(agreed.owners, took_part.owners, 1, 2)
    return OwnersTally(
        matter=Matter(matter),
        total=total,
        voted=took_part,
        yes=agreed,
        no=no,
        quorum_area=at_least(took_part.area, total.area, 2, 3),
        quorum_owners=at_least(took_part.owners, total.owners, 2, 3),
        pass_area=took_part.owners > 0 and pass_area,
        pass_owners=took_part.owners > 0 and pass_owners,
    )


@dataclass(frozen=True)
class Majority:
    """A council's majority: `num`/`den` of the seats, either "以上" (at least, the number
    itself counts) or "过半数"-like (strictly more)."""

    num: int
    den: int
    strict: bool

    def met(self, yes: int, seats: int) -> bool:
        if self.strict:
            return more_than(yes, seats, self.num, self.den)
        return at_least(yes, seats, self.num, self.den)


HALF = Majority(1, 2, strict=True)  # 过半数
TWO_THIRDS = Majority(2, 3, strict=False)  # 三分之二以上


@dataclass(frozen=True)
class CouncilTally:
    seats: int
    yes: int
    no: int
    abstain: int
    passed: bool


def council_tally(seats: int, choices: Iterable[Choice], majority: Majority = HALF) -> CouncilTally:
    """One seat, one vote: passes when the yes votes meet the majority of all the seats
    (not of those present: an absent member counts against)."""
    if seats < 1:
        raise RuleError("议事会没有在任成员")
    cast = [Choice(c) for c in choices]
    if len(cast) > seats:
        raise RuleError("投票数多于席位数")
    yes = cast.count(Choice.YES)
    return CouncilTally(
        seats=seats,
        yes=yes,
        no=cast.count(Choice.NO),
        abstain=cast.count(Choice.ABSTAIN),
        passed=majority.met(yes, seats),
    )
