"""共治基金 pages: posting, the second person, reversing, the statement, receipts."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from doorstep.cogov import funds
from doorstep.cogov.models import Fund, FundLine
from doorstep.cogov.tests.test_funds import receipt, running_project
from doorstep.core.models import AuditEntry
from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db


def test_keepers_post_approve_reverse_and_export_on_the_pages(co, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    street = co.p["street_officer"]
    second = make_user("street2", "街道干部乙", ("street_officer", co.world.street))
    client.force_login(street)
    r = client.post(
        reverse("cogov:fund_new"),
        {"owner": co.world.street.pk, "name": "区域化共治基金", "threshold": "10000"},
    )
    fund = Fund.objects.get()
    assert r["Location"] == reverse("cogov:fund", args=[fund.pk])
    url = reverse("cogov:fund_post", args=[fund.pk])
    client.post(
        url, {"kind": "income", "amount": "30000", "counterpart": "区财政", "memo": "年度拨款"}
    )
    assert not FundLine.objects.exists()
    body = client.get(reverse("cogov:fund", args=[fund.pk])).content.decode()
    assert "待复核" in body and "不能审批自己提交的申请" in body
    client.force_login(second)
    approval = funds.pending(fund).get()
    client.post(reverse("cogov:fund_decide", args=[fund.pk, approval.pk]), {"decision": "approve"})
    fund.refresh_from_db()
    assert fund.balance == 30000
    project = running_project(co, fund_budget="6000")
    client.post(
        url, {"kind": "allocate", "amount": "6000", "project": project.pk, "memo": "骑手驿站"}
    )
    r = client.post(
        url,
        {
            "kind": "expense",
            "amount": "7000",
            "project": project.pk,
            "memo": "桌椅",
            "receipt": receipt(),
        },
        follow=True,
    )
    assert "超出该项目的拨付余额" in r.content.decode()
    client.post(
        url,
        {
            "kind": "expense",
            "amount": "5200",
            "project": project.pk,
            "memo": "桌椅",
            "receipt": receipt(),
        },
    )
    line = FundLine.objects.get(kind="expense")
    assert client.get(reverse("cogov:fund_receipt", args=[fund.pk, line.pk])).status_code == 200
    client.post(reverse("cogov:fund_reverse", args=[fund.pk, line.pk]), {"memo": "票据有误"})
    assert FundLine.objects.filter(kind="reversal", reverses=line).exists()
    page = client.get(reverse("cogov:project", args=[project.pk])).content.decode()
    assert "共治基金拨付 6000 元，已支出 0 元" in page
    r = client.get(reverse("cogov:fund_statement", args=[fund.pk]))
    rows = [
        list(x)
        for x in openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
    ]
    assert rows[2][1] == "期初余额" and rows[-6][1] == "期末余额" and rows[-6][6] == "24000.00"
    assert AuditEntry.objects.filter(action="export", target_type="cogov.fund").exists()
    # Others see nothing of it: not the fund, not a receipt.
    for persona in ("community_officer", "resident", "liaison_904"):
        client.force_login(co.p[persona])
        assert client.get(reverse("cogov:fund", args=[fund.pk])).status_code in (403, 404)
        assert client.get(reverse("cogov:fund_receipt", args=[fund.pk, line.pk])).status_code == 404
        r = client.post(url, {"kind": "income", "amount": "1", "counterpart": "x", "memo": "x"})
        assert r.status_code == 404
    assert FundLine.objects.count() == 4 and funds.recount() == []
