"""The co-governance fund: lines, limits, reversals, the second person above the threshold,
statements; and random operations that keep every balance equal to its recount."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from doorstep.accounts import approvals
from doorstep.accounts.models import Approval
from doorstep.cogov import funds, projects
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Fund, FundLine
from doorstep.core.errors import NotAllowed as CoreNotAllowed
from doorstep.core.models import AuditEntry
from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db


def receipt(name: str = "发票.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 250)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def running_project(co, fund_budget: str = "5000"):
    officer, street = co.p["community_officer"], co.p["street_officer"]
    p = projects.propose(
        actor=officer, node=co.world.grid_a, title="骑手驿站",
        starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 6, 30),
    )  # fmt: skip
    projects.add_budget_line(
        actor=officer, project=p, item="桌椅", amount=fund_budget, source="fund"
    )
    for code, who in (("submit", officer), ("approve", street), ("start", officer)):
        p = projects.perform(p, code, actor=who)
    return p


@pytest.fixture
def fund(co, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return funds.create_fund(
        actor=co.p["street_officer"], owner=co.world.street, name="学院路街道区域化共治基金",
        threshold="10000",
    )  # fmt: skip


def test_income_allocation_spending_and_refund_keep_the_balances(co, fund):
    street = co.p["street_officer"]
    p = running_project(co)
    funds.submit(
        actor=street,
        fund=fund,
        kind="income",
        amount="8000",
        counterpart="904医院",
        memo="共建单位捐赠",
    )
    funds.submit(
        actor=street, fund=fund, kind="allocate", amount="5000", project=p, memo="驿站建设"
    )
    fund.refresh_from_db()
    assert fund.balance == 3000 and funds.allocated(fund, p) == 5000
    with pytest.raises(CogovError) as err:
        funds.submit(actor=street, fund=fund, kind="allocate", amount="1", project=p, memo="追加")
    assert "预算中由共治基金列支" in err.value.message
    with pytest.raises(CogovError) as err:
        funds.submit(actor=street, fund=fund, kind="expense", amount="100", project=p, memo="桌椅")
    assert err.value.field == "receipt"
    with pytest.raises(CogovError) as err:
        funds.submit(
            actor=street,
            fund=fund,
            kind="expense",
            amount="5000.01",
            project=p,
            memo="桌椅",
            receipt=receipt(),
        )
    assert "超出该项目的拨付余额" in err.value.message
    with pytest.raises(CogovError) as err:
        bad = SimpleUploadedFile("发票.jpg", b"not an image at all")
        funds.submit(
            actor=street,
            fund=fund,
            kind="expense",
            amount="10",
            project=p,
            memo="桌椅",
            receipt=bad,
        )
    assert err.value.field == "receipt"
    spent = funds.submit(
        actor=street,
        fund=fund,
        kind="expense",
        amount="4200",
        project=p,
        memo="桌椅饮水机",
        receipt=receipt(),
    )
    assert spent.receipt.name.endswith(".jpg") and spent.balance_after == 3000
    funds.submit(actor=street, fund=fund, kind="refund", amount="800", project=p, memo="结余退回")
    fund.refresh_from_db()
    assert fund.balance == 3800 and funds.allocated(fund, p) == 0
    assert funds.recount() == []
    assert AuditEntry.objects.filter(target_type="cogov.fundline").count() == 4


def test_no_overspend_and_a_reversal_only_once(co, fund):
    street = co.p["street_officer"]
    line = funds.submit(
        actor=street, fund=fund, kind="income", amount="500", counterpart="石科院", memo="捐赠"
    )
    p = running_project(co)
    with pytest.raises(CogovError) as err:
        funds.submit(actor=street, fund=fund, kind="allocate", amount="600", project=p, memo="驿站")
    assert "可用余额不足" in err.value.message
    funds.submit(actor=street, fund=fund, kind="allocate", amount="300", project=p, memo="驿站")
    with pytest.raises(CogovError):  # undoing the income would leave −300
        funds.reverse(actor=street, line=line, memo="录错了")
    alloc = FundLine.objects.get(kind="allocate")
    funds.reverse(actor=street, line=alloc, memo="拨错项目")
    with pytest.raises(Conflict):
        funds.reverse(actor=street, line=alloc, memo="再冲一次")
    funds.reverse(actor=street, line=line, memo="录错了")
    fund.refresh_from_db()
    assert fund.balance == 0 and funds.recount() == []
    with pytest.raises(Exception):  # noqa: B017 - the model refuses any edit of a posted line
        line.memo = "改摘要"
        line.save()
    assert FundLine.objects.get(pk=line.pk).memo == "捐赠"


def test_a_line_above_the_threshold_waits_for_another_keeper(co, fund):
    street = co.p["street_officer"]
    second = make_user("street2", "街道干部乙", ("street_officer", co.world.street))
    filed = funds.submit(
        actor=street,
        fund=fund,
        kind="income",
        amount="50000",
        counterpart="区财政",
        memo="年度拨款",
    )
    assert isinstance(filed, Approval) and not FundLine.objects.exists()
    for who, why in (
        (street, "不能审批自己提交的申请"),
        (co.p["security_admin"], "只有该基金的复核人"),
        (co.p["community_officer"], "只有该基金的复核人"),
    ):
        assert why in (approvals.may_decide(who, filed) or "")
        with pytest.raises(CoreNotAllowed):
            approvals.decide(approval=filed, actor=who, approve=True)
    assert not FundLine.objects.exists()
    assert list(funds.pending(fund)) == [filed]
    approvals.decide(approval=filed, actor=second, approve=True)
    line = FundLine.objects.get()
    assert (line.amount, line.posted_by, line.approved_by) == (Decimal("50000"), street, second)
    fund.refresh_from_db()
    assert fund.balance == 50000 and not funds.pending(fund).exists()


def test_only_the_funds_keepers_post(co, fund):
    for persona in ("community_officer", "grid_worker_a", "liaison_904", "audit_admin"):
        with pytest.raises(NotAllowed):
            funds.submit(
                actor=co.p[persona],
                fund=fund,
                kind="income",
                amount="1",
                counterpart="某单位",
                memo="x",
            )
    assert not FundLine.objects.exists()


def test_a_statement_for_a_period(co, fund):
    street = co.p["street_officer"]
    funds.submit(
        actor=street, fund=fund, kind="income", amount="1000", counterpart="904医院", memo="捐赠"
    )
    today = dt.date.today()
    s = funds.statement(fund, today.replace(day=1), today)
    assert (s.opening, s.closing, s.totals["income"], len(s.lines)) == (0, 1000, 1000, 1)
    with pytest.raises(CogovError):
        funds.statement(fund, today, today - dt.timedelta(days=1))


ops = st.lists(
    st.tuples(
        st.sampled_from(["income", "allocate", "expense", "refund", "reverse"]),
        st.integers(1, 3000),
        st.integers(0, 9),
    ),
    max_size=15,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ops)
def test_random_operations_keep_the_balance_equal_to_its_recount(co, fund, steps):
    street = co.p["street_officer"]
    p = Fund.objects.filter(pk=fund.pk).first() and running_project(co, fund_budget="4000")
    for kind, amount, pick in steps:
        before = Fund.objects.get(pk=fund.pk).balance
        count = FundLine.objects.count()
        try:
            if kind == "reverse":
                lines = list(FundLine.objects.filter(fund=fund).exclude(kind="reversal"))
                if not lines:
                    continue
                funds.reverse(actor=street, line=lines[pick % len(lines)], memo="冲正")
            else:
                funds.submit(
                    actor=street, fund=fund, kind=kind, amount=str(amount), project=p, counterpart="单位",
                    memo="测试", receipt=receipt() if kind == "expense" else None,
                )  # fmt: skip
        except CogovError:
            assert FundLine.objects.count() == count
            assert Fund.objects.get(pk=fund.pk).balance == before
        fund.refresh_from_db()
        assert fund.balance >= 0
        assert funds.recount([fund]) == []
        assert funds.allocated(fund, p) >= 0


def test_the_recount_command_finds_a_balance_changed_behind_the_ledger(co, fund):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    funds.submit(
        actor=co.p["street_officer"],
        fund=fund,
        kind="income",
        amount="700",
        counterpart="904医院",
        memo="捐赠",
    )
    out = io.StringIO()
    call_command("recount_funds", stdout=out)
    assert "一致" in out.getvalue()
    Fund.objects.filter(pk=fund.pk).update(balance=Decimal("900"))
    with pytest.raises(CommandError):
        call_command("recount_funds", stdout=out)
    assert "记录余额 900.00，按明细重算 700.00" in out.getvalue()
