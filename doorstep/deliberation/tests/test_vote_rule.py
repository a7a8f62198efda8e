"""The vote rule against hand-computed cases (民法典 第二百七十八条 and the SPC's counting
of owners), at the exact boundaries, and against exact fractions over random rolls."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorstep.deliberation.vote_rule import (
    HALF,
    TWO_THIRDS,
    Choice,
    Matter,
    Part,
    RuleError,
    council_tally,
    owners_tally,
)

Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN
M100 = 10_000  # 100.00 m² in 0.01 m²


def roll(*areas: int, owners: list[str] | None = None) -> list[Part]:
    keys = owners or [f"o{i}" for i in range(len(areas))]
    return [Part(i, keys[i], a) for i, a in enumerate(areas)]


# (case, areas, owners (None: one each), choices by part, matter,
#  expected (quorum_area, quorum_owners, pass_area, pass_owners, passed))
CASES = [
    (
        "exactly 2/3 of area and owners take part: that is enough (以上)",
        [M100, M100, M100],
        None,
        {0: Y, 1: Y},
        Matter.ORDINARY,
        (True, True, True, True, True),
    ),
    (
        "two of three owners, a hundredth of a m² short of 2/3 of the area: 未通过",
        [M100, M100, M100 + 1],
        None,
        {0: Y, 1: Y},
        Matter.ORDINARY,
        (False, True, True, True, False),
    ),
    (
        "exactly half agree on an ordinary matter: not more than half",
        [M100] * 4,
        None,
        {0: Y, 1: Y, 2: N, 3: N},
        Matter.ORDINARY,
        (True, True, False, False, False),
    ),
    (
        "half and a hundredth of a m² of the area, but only half the owners",
        [M100 + 1, M100, M100 - 1, M100],
        None,
        {0: Y, 1: Y, 2: N, 3: N},
        Matter.ORDINARY,
        (True, True, True, False, False),
    ),
    (
        "exactly 3/4 agree on a major matter (e.g. 筹集维修资金): passes",
        [M100] * 4,
        None,
        {0: Y, 1: Y, 2: Y, 3: N},
        Matter.MAJOR,
        (True, True, True, True, True),
    ),
    (
        "3/4 of the owners but the dissenter's flat is the largest: area fails",
        [M100, M100, M100, M100 + 1],
        None,
        {0: Y, 1: Y, 2: Y, 3: N},
        Matter.MAJOR,
        (True, True, False, True, False),
    ),
    (
        "abstentions take part and do not agree",
        [M100] * 4,
        None,
        {0: Y, 1: Y, 2: A},
        Matter.ORDINARY,
        (True, True, True, True, True),
    ),
    (
        "abstentions can sink a major matter: 2 of 3 taking part is short of 3/4",
        [M100] * 4,
        None,
        {0: Y, 1: Y, 2: A},
        Matter.MAJOR,
        (True, True, False, False, False),
    ),
    (
        "one owner of three flats is one owner: area is there, headcount is not",
        [9_000] * 6,
        ["A", "A", "A", "B", "C", "D"],
        {0: Y, 1: Y, 2: Y, 3: Y},
        Matter.ORDINARY,
        (True, False, True, True, False),
    ),
    (
        "the developer's five unsold flats count as one owner",
        [8_000] * 8,
        ["dev"] * 5 + ["x", "y", "z"],
        {5: Y, 6: Y, 7: N},
        Matter.ORDINARY,
        (False, True, True, True, False),
    ),
    (
        "the developer votes its unsold flats: one owner, all their area",
        [8_000] * 8,
        ["dev"] * 5 + ["x", "y", "z"],
        {0: Y, 1: Y, 2: Y, 3: Y, 4: Y, 5: N, 6: N},
        Matter.MAJOR,
        (True, True, False, False, False),
    ),
]


@pytest.mark.parametrize(
    "areas, owners, choices, matter, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hand_computed_cases(areas, owners, choices, matter, expected):
    t = owners_tally(roll(*areas, owners=owners), choices, matter)
    assert (t.quorum_area, t.quorum_owners, t.pass_area, t.pass_owners, t.passed) == expected


def test_the_figures_behind_a_result_one_owner_of_three_flats():
    t = owners_tally(
        roll(*[9_000] * 6, owners=["A", "A", "A", "B", "C", "D"]), {0: Y, 1: Y, 2: Y, 3: N},
        Matter.ORDINARY,
    )  # fmt: skip
    assert (t.total.area, t.total.owners) == (54_000, 4)
    assert (t.voted.area, t.voted.owners) == (36_000, 2)
    assert (t.yes.area, t.yes.owners, t.no.area, t.no.owners) == (27_000, 1, 9_000, 1)


def test_a_part_not_on_the_roll_cannot_vote_and_nor_can_an_empty_roll():
    # A tenant is not an owner: their home's part is voted by its owner or proxy, and no
    # other key (such as the tenant's own) is on the roll.
    with pytest.raises(RuleError, match="不在表决范围内"):
        owners_tally(roll(M100, M100), {0: Y, 7: Y}, Matter.ORDINARY)
    with pytest.raises(RuleError, match="没有业主"):
        owners_tally([], {}, Matter.ORDINARY)


def test_one_owner_cannot_vote_two_ways_through_two_flats():
    with pytest.raises(RuleError, match="不一致"):
        owners_tally(roll(M100, M100, owners=["A", "A"]), {0: Y, 1: N}, Matter.ORDINARY)


def test_nobody_voting_is_no_quorum_and_no_pass():
    t = owners_tally(roll(M100, M100), {}, Matter.ORDINARY)
    assert not (t.quorum or t.pass_area or t.pass_owners or t.passed)


@pytest.mark.parametrize(
    "seats, choices, majority, passed",
    [
        (7, [Y, Y, Y, Y], HALF, True),  # 4 of 7
        (6, [Y, Y, Y, N, N, N], HALF, False),  # exactly half is not 过半数
        (9, [Y] * 6, TWO_THIRDS, True),  # exactly 2/3 is 三分之二以上
        (9, [Y] * 5 + [N] * 4, TWO_THIRDS, False),
        (7, [Y, Y, Y, A], HALF, False),  # an absent member counts against
    ],
)
def test_council_votes_one_seat_one_vote(seats, choices, majority, passed):
    assert council_tally(seats, choices, majority).passed is passed


def test_a_council_vote_with_more_votes_than_seats_is_refused():
    with pytest.raises(RuleError):
        council_tally(2, [Y, Y, N])


# -- against exact fractions -----------------------------------------------------------

parts = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 30_000)), min_size=1, max_size=12
)  # (owner number, area)


@settings(max_examples=300, deadline=None)
@given(parts, st.data(), st.sampled_from(list(Matter)))
def test_the_integer_rule_equals_the_law_in_exact_fractions(rows, data, matter):
    the_roll = [Part(i, f"o{owner}", area) for i, (owner, area) in enumerate(rows)]
    owners = sorted({p.owner for p in the_roll})
    said = data.draw(
        st.dictionaries(
            st.sampled_from(owners), st.sampled_from(list(Choice)), max_size=len(owners)
        )
    )
    choices = {p.id: said[p.owner] for p in the_roll if p.owner in said}
    t = owners_tally(the_roll, choices, matter)

    def share(keys):
        return (
            Fraction(sum(p.area for p in the_roll if p.owner in keys)),
            Fraction(len(keys)),
        )

    total = share(set(owners))
    voted = share(set(said))
    yes = share({o for o, c in said.items() if c == Y})
    assert t.quorum_area == (voted[0] / total[0] >= Fraction(2, 3))
    assert t.quorum_owners == (voted[1] / total[1] >= Fraction(2, 3))
    if not said:
        assert not t.passed
        return
    if matter == Matter.MAJOR:
        assert t.pass_area == (voted[0] > 0 and yes[0] / voted[0] >= Fraction(3, 4))
        assert t.pass_owners == (yes[1] / voted[1] >= Fraction(3, 4))
    else:
        assert t.pass_area == (voted[0] > 0 and yes[0] / voted[0] > Fraction(1, 2))
        assert t.pass_owners == (yes[1] / voted[1] > Fraction(1, 2))
    assert t.passed == (t.quorum and t.pass_area and t.pass_owners)
    # one more owner agreeing never turns a pass into a failure
    against = [o for o, c in said.items() if c != Y]
    if t.passed and against:
        more = {
            p.id: Y if p.owner == against[0] else c
            for p, c in ((by, choices[by.id]) for by in the_roll if by.id in choices)
        }
        assert owners_tally(the_roll, more, matter).passed


@settings(max_examples=200, deadline=None)
@given(parts, st.data(), st.sampled_from(list(Matter)))
def test_each_thresholds_least_amount_is_exactly_where_the_rule_turns(rows, data, matter):
    from doorstep.deliberation.ballots import thresholds

    the_roll = [Part(i, f"o{owner}", area) for i, (owner, area) in enumerate(rows)]
    owners = sorted({p.owner for p in the_roll})
    said = data.draw(
        st.dictionaries(
            st.sampled_from(owners), st.sampled_from(list(Choice)), max_size=len(owners)
        )
    )
    t = owners_tally(the_roll, {p.id: said[p.owner] for p in the_roll if p.owner in said}, matter)
    for line in thresholds(t):
        assert line.met == (line.have >= line.need) or line.of == 0, line
        # one less than the least amount does not meet the rule
        if line.need > 0:
            share = Fraction(line.need - 1, line.of) if line.of else Fraction(0)
            if "过半数" in line.share:
                assert not share > Fraction(1, 2)
            else:
                bound = Fraction(3, 4) if "四分之三" in line.share else Fraction(2, 3)
                assert not share >= bound
