"""The workbench's case cards kept in the figure cache (cards.kept) equal freshly counted
ones after each write that changes them — a filed case, its acceptance, the deadline
sweep flagging it 已超期, a new membership widening the scope — and a repeat asks the
database less. The writes commit (transaction=True), as in production."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from doorstep.accounts.models import Membership, Role, User
from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cases.sweep import sweep
from doorstep.core.testing import kept_equals_fresh
from doorstep.workbench.web.desks import sections

pytestmark = pytest.mark.django_db(transaction=True)

CASE_CARDS = ("to_receive", "to_dispatch", "to_verify", "overdue", "escalations")


def _cards(username: str) -> dict[str, tuple[int, list[str]]]:
    user = User.objects.get(username=username)  # a new request's user: nothing held yet
    return {
        card.key: (card.count, [row.url for row in card.rows])
        for _name, shown in sections(user)
        for card in shown
        if card.key in CASE_CARDS or card.key.startswith("overdue_")
    }


def _check(settings, username: str) -> dict[str, tuple[int, list[str]]]:
    return kept_equals_fresh(settings, lambda: _cards(username))


def test_kept_case_cards_follow_every_write(cw, settings):
    w, p = cw.world, cw.personas
    logins = ("community1", "street")
    before = {u: _check(settings, u) for u in logins}
    assert any(k.startswith("overdue_") for k in before["street"])
    _cards("community1")  # (a name's first computation only learns which tables it reads)
    with CaptureQueriesContext(connection) as warm:
        _cards("community1")
    settings.FIGURE_CACHE = False
    with CaptureQueriesContext(connection) as fresh:
        _cards("community1")
    settings.FIGURE_CACHE = True

    def case_lists(captured) -> int:
        return sum('"cases_case"."flag"' in q["sql"] for q in captured.captured_queries)

    assert case_lists(warm) <= case_lists(fresh) - 4  # the four case lists were not read again

    case = cases.create_case(
        actor=p["resident"], category=cw.repair, description="楼道灯不亮",
        location=locate(building=w.building_a),
    )  # fmt: skip
    filed = _check(settings, "community1")
    assert filed["to_receive"][0] == before["community1"]["to_receive"][0] + 1

    cases.perform(case, "accept", actor=p["community_officer"])
    accepted = _check(settings, "community1")
    assert accepted["to_dispatch"][0] == filed["to_dispatch"][0] + 1

    case.refresh_from_db()
    sweep(now=case.due_at + dt.timedelta(hours=1))  # the deadline passes: flagged 已超期
    overdue = _check(settings, "community1")
    assert overdue["overdue"][0] == accepted["overdue"][0] + 1
    street = _check(settings, "street")
    community_card = f"overdue_{w.community_1.pk}"
    assert street[community_card][0] == before["street"][community_card][0] + 1

    # a second community joins the officer's scope: the kept cards are not the old scope's
    cases.create_case(
        actor=p["resident"], category=cw.repair, description="二里庄楼道堆物",
        location=locate(building=w.building_c),
    )  # fmt: skip
    elsewhere = _check(settings, "community1")
    Membership.objects.create(
        user=p["community_officer"],
        organisation=w.community_2,
        role=Role.objects.get(code="community_staff"),
    )
    widened = _check(settings, "community1")
    assert widened["to_receive"][0] == elsewhere["to_receive"][0] + 1


RESIDENT_CARDS = ("mine", "rating", "central", "proposals", "topics_near")


def _resident_cards(settings) -> dict[str, tuple[int, list[str]]]:
    def shown() -> dict[str, tuple[int, list[str]]]:
        user = User.objects.get(username="resident")
        return {
            card.key: (card.count, [row.title for row in card.rows])
            for _name, cards in sections(user)
            for card in cards
            if card.key in RESIDENT_CARDS
        }

    return kept_equals_fresh(settings, shown)


def test_kept_resident_cards_follow_what_the_resident_does(cw, settings):
    from doorstep.cogov import proposals
    from doorstep.deliberation import topics

    w, p = cw.world, cw.personas
    before = _resident_cards(settings)
    assert {"mine", "central", "proposals", "topics_near"} <= before.keys()
    _resident_cards(settings)

    cases.create_case(
        actor=p["resident"], category=cw.repair, description="单元门禁坏了",
        location=locate(building=w.building_a),
    )  # fmt: skip
    filed = _resident_cards(settings)
    assert filed["mine"][0] == before["mine"][0] + 1

    proposals.propose(actor=p["resident"], title="楼下加装休息座椅")
    proposed = _resident_cards(settings)
    assert "楼下加装休息座椅" in proposed["proposals"][1]

    topics.raise_topic(actor=p["resident"], title="小区停车难怎么办", detail="晚上车位不够")
    raised = _resident_cards(settings)
    assert raised["topics_near"][0] == proposed["topics_near"][0] + 1


def _day_cards(username: str) -> dict[str, int | None]:
    user = User.objects.get(username=username)
    shown = {card.key: card.count for _name, cards in sections(user) for card in cards}
    return {key: shown.get(key) for key in ("households_due", "doors")}


def test_kept_day_cards_follow_visits_and_campaigns_and_the_date(cw, settings):
    """A grid worker's 待走访联系户 and 敲门行动待走访 are kept for the day: a visit, a
    campaign's doors and a new day each show at once."""
    from doorstep.deliberation import campaigns
    from doorstep.service import visits

    w, p = cw.world, cw.personas
    today = timezone.localdate()

    def check() -> dict[str, int | None]:
        kept = kept_equals_fresh(settings, lambda: _day_cards("grid_a"))
        assert _day_cards("grid_a") == kept  # served from the cache, still the same
        return kept

    before = check()
    assert before["households_due"] and before["doors"] is None
    visits.log_visit(
        actor=p["party_member"], household=w.household_a, visited_on=today, found="一切正常"
    )
    after_visit = check()
    assert after_visit["households_due"] == before["households_due"] - 1

    campaign = campaigns.launch(
        actor=p["community_officer"], node=w.community_1, title="敲门行动", purpose="走访问需",
        starts_on=today, ends_on=today + dt.timedelta(days=3), grids=[w.grid_a],
    )  # fmt: skip
    campaigns.split(actor=p["community_officer"], campaign=campaign, visitors=[p["grid_worker_a"]])
    with_doors = check()
    assert with_doors["doors"]

    with time_machine.travel(timezone.now() + dt.timedelta(days=4)):  # the campaign is over
        after_campaign = check()
    assert after_campaign["doors"] is None
