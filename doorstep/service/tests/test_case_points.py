"""Hours and points follow cases: earned at closure by whoever led it, nothing for a
claim released or a reopening before closure, taken back when a closed case reopens.

They come from the case event log by the consumer in service.credits, run here after each
move as its commit would; test_credit_consumer.py covers the after-commit path itself."""

from __future__ import annotations

from decimal import Decimal

import pytest

from doorstep.cases import services as cases
from doorstep.cases.models import Case
from doorstep.cases.workflow import S
from doorstep.service import credits, ledger
from doorstep.service.models import LineKind, PointAccount, PointLine, ServiceRecord
from doorstep.service.tests.helpers import claimed_wish, to_rating

pytestmark = pytest.mark.django_db


def perform(*args, **kwargs) -> Case:
    """A move, then the consumer run that its commit starts (service.credits: credits are
    eventual; these tests run in a transaction that never commits)."""
    case = cases.perform(*args, **kwargs)
    credits.credit_cases()
    return case


def _balance(user) -> int:
    account = PointAccount.objects.filter(user=user).first()
    return account.balance if account else 0


def test_a_micro_wish_rated_satisfied_earns_hours_and_points(cw):
    member = cw.personas["party_member"]
    case = to_rating(cw, claimed_wish(cw))
    assert _balance(member) == 0 and not ServiceRecord.objects.exists()  # nothing yet
    case = perform(case, "rate", actor=cw.personas["resident"], rating="satisfied", solved=True)
    assert case.status == S.CLOSED
    record = ServiceRecord.objects.get()
    assert record.user == member and record.status == "verified" and record.case == case
    assert record.hours == Decimal("1.00")
    lines = PointLine.objects.filter(user=member).order_by("id")
    assert [(line.rule, line.amount) for line in lines] == [
        ("case_resolved", 10),
        ("case_satisfied", 5),
    ]
    assert _balance(member) == 15 == sum(line.amount for line in lines)
    assert ledger.recount() == []


def test_basically_satisfied_earns_no_bonus(cw):
    member = cw.personas["party_member"]
    case = to_rating(cw, claimed_wish(cw))
    perform(case, "rate", actor=cw.personas["resident"], rating="basic", solved=True)
    assert _balance(member) == 10


def test_a_released_claim_and_a_reopening_before_closure_earn_nothing(cw):
    p = cw.personas
    case = claimed_wish(cw)
    case = perform(case, "release", actor=p["party_member"], note="临时有事")
    assert case.status == S.POOL
    case = perform(case, "claim", actor=p["volunteer"])
    case = to_rating(cw, case, "volunteer")
    case = perform(case, "reopen", actor=p["resident"], note="还是坏的", solved=False)
    assert case.status == S.IN_PROGRESS
    assert not PointLine.objects.exists() and not ServiceRecord.objects.exists()
    case = perform(case, "resolve", actor=p["volunteer"], note="换了链条")
    case = perform(case, "verify", actor=p["community_officer"])
    perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    assert _balance(p["party_member"]) == 0  # released: nothing
    assert _balance(p["volunteer"]) == 15


def test_a_closed_case_reopened_on_review_takes_its_points_back_with_lines(cw):
    p = cw.personas
    member = p["party_member"]
    case = to_rating(cw, claimed_wish(cw))
    case = perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    assert _balance(member) == 15
    case = perform(case, "reopen_closed", actor=p["community_officer"], note="回访发现未修好")
    assert case.status == S.ACCEPTED
    assert _balance(member) == 0
    reversals = PointLine.objects.filter(user=member, kind=LineKind.REVERSAL)
    assert sorted(r.amount for r in reversals) == [-10, -5]
    assert all(r.reverses is not None for r in reversals)
    assert PointLine.objects.filter(user=member).count() == 4  # nothing deleted
    assert ServiceRecord.objects.get().status == "reversed"
    # handled again to closure: it earns again
    case = perform(case, "publish", actor=p["community_officer"])
    case = perform(case, "claim", actor=member)
    case = to_rating(cw, case)
    perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    assert _balance(member) == 15
    assert ServiceRecord.objects.filter(status="verified").count() == 1
    assert ledger.recount() == []


def test_reopening_needs_a_note_and_the_supervise_permission(cw):
    p = cw.personas
    case = to_rating(cw, claimed_wish(cw))
    case = perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    from doorstep.cases.errors import CaseError

    with pytest.raises(CaseError):
        perform(case, "reopen_closed", actor=p["community_officer"])  # no note
    with pytest.raises(CaseError):
        perform(case, "reopen_closed", actor=p["party_member"], note="我觉得没修好")
    assert _balance(p["party_member"]) == 15


def test_the_monthly_cap_limits_claim_points(cw):
    from doorstep.service.models import PointRule

    PointRule.objects.filter(code="case_resolved", organisation__isnull=True).update(cap=15)
    member = cw.personas["party_member"]
    for _ in range(2):
        case = to_rating(cw, claimed_wish(cw))
        perform(case, "rate", actor=cw.personas["resident"], rating="basic", solved=True)
    assert [line.amount for line in PointLine.objects.filter(user=member).order_by("id")] == [
        10,
        5,
    ]
    assert ServiceRecord.objects.filter(user=member).count() == 2  # hours are not capped


def test_after_a_reopen_only_the_person_who_closes_it_again_earns(cw):
    p = cw.personas
    member, volunteer = p["party_member"], p["volunteer"]
    case = to_rating(cw, claimed_wish(cw))
    case = perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    case = perform(case, "reopen_closed", actor=p["community_officer"], note="回访未修好")
    case = perform(case, "publish", actor=p["community_officer"])
    case = perform(case, "claim", actor=volunteer)
    case = to_rating(cw, case, "volunteer")
    perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
    assert _balance(member) == 0  # reversed, and not paid again
    assert _balance(volunteer) == 15
    assert ServiceRecord.objects.filter(user=member, status="verified").count() == 0
    assert ledger.recount() == []


def test_points_already_spent_are_owed_and_settled_by_the_next_grant(cw):
    from doorstep.service.models import Reward

    p = cw.personas
    member = p["party_member"]
    reward = Reward.objects.create(organisation=cw.world.community_1, name="米", cost=15, stock=9)
    for _round in range(3):
        case = to_rating(cw, claimed_wish(cw))
        perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
        assert _balance(member) == 15
        ledger.redeem(user=member, reward=reward)  # spent at once
        case = perform(
            Case.objects.get(pk=case.pk),
            "reopen_closed",
            actor=p["community_officer"],
            note="未解决",
        )
        account = PointAccount.objects.get(user=member)
        assert account.balance == 0 and account.owed == 15
        # closed again by the same member: the new grant settles what was owed
        case = perform(case, "publish", actor=p["community_officer"])
        case = perform(case, "claim", actor=member)
        case = to_rating(cw, case)
        perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
        account = PointAccount.objects.get(user=member)
        assert (account.balance, account.owed) == (0, 0)  # paid once for the work in all
    assert ledger.recount() == []
