"""Random sequences of grants, reversals and redemptions (hypothesis): after every step
each balance equals the sum of its ledger lines and is never negative; a refused step
writes nothing; `recount` finds nothing to fix."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorstep.core.testing import make_user
from doorstep.service import ledger
from doorstep.service.errors import ServiceError
from doorstep.service.models import PointAccount, PointLine, PointRule, Reward

pytestmark = pytest.mark.django_db

step = st.one_of(
    st.tuples(st.just("grant"), st.integers(0, 2), st.sampled_from(["case_resolved", "visit_logged"]), st.integers(0, 5)),
    st.tuples(st.just("reverse"), st.integers(0, 2), st.just(""), st.integers(0, 5)),
    st.tuples(st.just("redeem"), st.integers(0, 2), st.just(""), st.integers(1, 4)),
)  # fmt: skip


def _check(users: list[Any]) -> None:
    for user in users:
        account = PointAccount.objects.filter(user=user).first()
        total = PointLine.objects.filter(user=user).aggregate(s=Sum("amount"))["s"] or 0
        balance = account.balance if account else 0
        assert balance == total >= 0
    assert ledger.recount() == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_ledger_sequences_keep_balances_equal_to_their_lines(world, steps):
    users = [make_user(f"p{i}", f"志愿者{i}", ("volunteer", world.grid_a)) for i in range(3)]
    PointRule.objects.filter(organisation__isnull=True).update(cap=30)
    reward = Reward.objects.create(
        organisation=world.community_1, name="环保袋", cost=7, stock=1000
    )
    try:
        for kind, who, code, n in steps:
            user = users[who]
            before = PointLine.objects.count()
            if kind == "grant":
                line = ledger.grant(
                    user=user, code=code, source=f"test:{n}", organisation=world.grid_a
                )
                assert line is None or line.amount > 0
            elif kind == "reverse":
                ledger.reverse_source(f"test:{n}")
            else:
                try:
                    ledger.redeem(user=user, reward=reward, quantity=n)
                except ServiceError:
                    assert PointLine.objects.count() == before  # refused: nothing written
            _check(users)
    finally:
        # hypothesis reuses the database of one test: remove this example's rows the way
        # a test database would (the ledger itself never deletes)
        from doorstep.service.models import Redemption

        Redemption.objects.all().delete()
        PointLine.objects.update(reverses=None)
        PointLine.objects.all()._raw_delete(PointLine.objects.db)
        PointAccount.objects.all().delete()
        reward.delete()
        for user in users:
            user.delete()


def test_a_redemption_beyond_the_balance_is_refused(world):
    user = world.personas["party_member"]
    ledger.grant(user=user, code="case_resolved", source="case:1:9", organisation=world.grid_a)
    reward = Reward.objects.create(organisation=world.community_1, name="米", cost=8, stock=5)
    with pytest.raises(ServiceError, match="积分不足：需要16分，当前可用10分"):
        ledger.redeem(user=user, reward=reward, quantity=2)
    assert PointAccount.objects.get(user=user).balance == 10
    assert Reward.objects.get(pk=reward.pk).stock == 5
    redemption = ledger.redeem(user=user, reward=reward)
    assert redemption.points == 8 and Reward.objects.get(pk=reward.pk).stock == 4
    assert PointAccount.objects.get(user=user).balance == 2


def test_ledger_lines_cannot_be_changed_or_deleted(world):
    user = world.personas["party_member"]
    line = ledger.grant(
        user=user, code="case_resolved", source="case:1:9", organisation=world.grid_a
    )
    assert line is not None
    line.amount = 1000
    with pytest.raises(ValueError):
        line.save()
    with pytest.raises(ValueError):
        line.delete()
    assert PointLine.objects.get(pk=line.pk).amount == 10


def test_the_recount_finds_and_fixes_a_tampered_balance(world):
    user = world.personas["party_member"]
    ledger.grant(user=user, code="case_resolved", source="case:1:9", organisation=world.grid_a)
    PointAccount.objects.filter(user=user).update(balance=99)
    found = ledger.recount()
    assert [(m.field, m.shown, m.ledger) for m in found] == [("balance", 99, 10)]
    ledger.recount(fix=True)
    assert ledger.recount() == []
