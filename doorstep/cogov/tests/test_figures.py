"""The co-governance figures of a node (cockpit panel, briefing) equal the lists they count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.cockpit.briefing import compose
from doorstep.cogov import figures, funds, matching, projects, services
from doorstep.cogov.tests.test_funds import receipt

pytestmark = pytest.mark.django_db


def test_figures_follow_the_work_and_the_briefing_says_them(co, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    officer, street = co.p["community_officer"], co.p["street_officer"]
    need = services.record_need(
        actor=officer, node=co.world.grid_a, title="骑手歇脚", field="new_workers", wants="service"
    )
    services.record_need(
        actor=street, node=co.world.grid_c, title="北区助餐", field="elderly", wants="funds"
    )
    resource = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="夜间义诊", kind="service",
        fields=["new_workers"], capacity="20", unit="hours",
    )  # fmt: skip
    today = timezone.localdate()
    before = figures.cogov(co.world.community_1, today.replace(day=1), today)
    assert (before["units"], before["resources"], before["needs_open"], before["needs_met"]) == (
        1,
        1,
        1,
        0,
    )
    match = matching.confirm(
        actor=co.p["liaison_904"],
        match=matching.accept(actor=officer, need=need, resource=resource, amount="8"),
    )
    p = projects.propose(
        actor=officer,
        match=match,
        node=None,
        title="骑手驿站",
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
    )
    projects.add_budget_line(actor=officer, project=p, item="桌椅", amount="3000", source="fund")
    fund = funds.create_fund(
        actor=street, owner=co.world.street, name="共治基金", threshold="10000"
    )
    funds.submit(
        actor=street, fund=fund, kind="income", amount="5000", counterpart="904医院", memo="捐赠"
    )
    for code, who in (("submit", officer), ("approve", street), ("start", officer)):
        p = projects.perform(p, code, actor=who)
    funds.submit(actor=street, fund=fund, kind="allocate", amount="3000", project=p, memo="拨付")
    funds.submit(
        actor=street,
        fund=fund,
        kind="expense",
        amount="2800",
        project=p,
        memo="桌椅",
        receipt=receipt(),
    )
    projects.record_served(actor=officer, project=p, volunteers="12", served="126")
    for code, who in (("finish", officer), ("pass", street)):
        p = projects.perform(p, code, actor=who)
    after = figures.cogov(co.world.community_1, today.replace(day=1), today)
    assert (after["needs_open"], after["needs_met"], after["projects_done"]) == (0, 1, 1)
    assert (after["fund_out"], after["unit_volunteers"]) == (2800, 12)
    street_figures = figures.cogov(co.world.street, today.replace(day=1), today)
    assert (
        street_figures["fund_in"],
        street_figures["fund_balance"],
        street_figures["needs_open"],
    ) == (5000, 2000, 1)
    # The cockpit shows them, each linked to its list, and the list says the same number.
    client.force_login(officer)
    body = client.get(reverse("cockpit:node", args=[co.world.community_1.pk])).content.decode()
    assert 'data-figure="cogov_needs_met"' in body and "共建共治" in body
    listed = client.get(
        reverse("cogov:needs") + f"?status=met&org={co.world.community_1.pk}"
    ).content.decode()
    assert "共 1 条" in listed
    text = " ".join(
        s for section in compose(co.world.street, today, today).sections for s in section.sentences
    )
    assert (
        "共建单位 1 家" in text
        and "累计 12 人次参与志愿服务" in text
        and "项目支出 2,800 元" in text
    )
