"""seed_demo: the 学院路 street from OpenStreetMap, and the synthetic district.

The street is seeded once per test process and copied in for this module (conftest's
DemoTemplate: seeding takes several seconds); each test runs in a transaction rolled back
after it.
"""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse

from doorstep.accounts.models import Membership, User
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import (
    CentralHousehold,
    HouseholdLink,
    PartyMember,
    PopulationTally,
    Resident,
)
from doorstep.atlas.places.models import Building, Compound, Household, Unit
from doorstep.core import audit, idcard
from doorstep.core.crypto import lookup_hash
from doorstep.core.models import AuditAction, AuditEntry

TABLES = (Organisation, Compound, Building, Unit, Household, Resident, PartyMember,
          CentralHousehold, HouseholdLink, Membership, User)  # fmt: skip


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture(scope="module")
def street(demo_module, demo_template):
    """The 学院路 street as `seed_demo` built it (once per test process, see conftest)."""
    return demo_module, demo_template.output


def test_street_is_built_from_the_osm_buildings_and_compounds(street, db):
    root, _ = street
    assert root.name == "学院路街道"
    assert root.parent.name == "海淀区"
    buildings = Building.objects.filter(grid__path__startswith=root.path)
    assert buildings.count() == 257  # every building outline in the extract
    assert buildings.filter(osm_id__isnull=True).count() == 0
    assert buildings.filter(use="residential").count() == 122
    assert all(len(b.outline) >= 4 for b in buildings.only("outline")[:50])
    names = set(Compound.objects.values_list("name", flat=True))
    assert {"静淑苑", "石科院生活区", "富润家园", "农大小区-北区"} <= names
    assert len(names) == 9
    jingshu = Compound.objects.get(name="静淑苑")
    assert jingshu.buildings.count() == 12
    assert jingshu.buildings.filter(name__startswith="静淑苑").count() == 12


def test_street_has_four_communities_and_ten_grids_of_about_a_dozen_homes(street, db):
    root, _ = street
    under = Organisation.objects.under(root)
    assert sorted(under.of_kind(Kind.COMMUNITY).values_list("name", flat=True)) == [
        "二里庄社区", "学院路社区", "清华东路社区", "静淑苑社区",
    ]  # fmt: skip
    grids = under.of_kind(Kind.GRID)
    assert grids.count() == 10
    assert all(re.fullmatch(r".+社区第\d网格", g.name) for g in grids)
    homes = Counter(
        Building.objects.filter(grid__in=grids, use="residential").values_list("grid_id", flat=True)
    )
    assert all(10 <= n <= 15 for n in homes.values())
    assert under.of_kind(Kind.WORKING_COMMITTEE).count() == 1
    assert under.of_kind(Kind.PARTY_COMMITTEE).count() == 4


def test_each_grid_has_one_branch_or_else_a_party_group(street, db):
    root, _ = street
    grids = Organisation.objects.under(root).of_kind(Kind.GRID)
    per_grid = Counter(
        Organisation.objects.filter(parent__in=grids, kind=Kind.GRID_BRANCH).values_list(
            "parent_id", flat=True
        )
    )
    assert max(per_grid.values()) == 1
    with_group = set(
        Organisation.objects.filter(parent__in=grids, kind=Kind.PARTY_GROUP).values_list(
            "parent_id", flat=True
        )
    )
    assert len(per_grid) == 9 and len(with_group) == 1
    assert set(per_grid) | with_group == {g.pk for g in grids}
    assert not set(per_grid) & with_group


def test_each_named_compound_has_a_compound_branch_under_its_community(street, db):
    root, _ = street
    branches = Organisation.objects.under(root).of_kind(Kind.COMPOUND_BRANCH)
    compounds = Compound.objects.filter(community__path__startswith=root.path)
    assert {b.name for b in branches} == {f"{c.name}小区党支部" for c in compounds}
    assert all(b.parent.kind == Kind.COMMUNITY for b in branches)
    assert all(b.party_parent.kind == Kind.PARTY_COMMITTEE for b in branches)
    assert all(b.party_parent.parent_id == b.parent_id for b in branches)


def test_every_resident_and_household_is_in_its_buildings_grid(street, db):
    assert Resident.objects.exclude(grid_id=F("household__grid_id")).count() == 0
    assert tallies.differences(tallies.recount(), tallies.stored()) == []
    assert Household.objects.exclude(grid_id=F("unit__building__grid_id")).count() == 0
    households = Household.objects.count()
    residents = Resident.objects.count()
    assert 8_000 < households < 20_000
    assert 2.0 < residents / households < 3.0
    by_type = Counter(Resident.objects.values_list("residence_type", flat=True))
    assert set(by_type) == {"registered", "floating", "tenant"}
    assert by_type["registered"] > by_type["tenant"] > 0


def test_personal_numbers_are_stored_encrypted_with_lookup_hashes(street, db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_card, phone FROM people_resident WHERE phone <> '' LIMIT 20")
        raw = cursor.fetchall()
    assert raw and all(not re.fullmatch(r"[\dX]{18}", card) for card, _ in raw)
    for r in Resident.objects.exclude(phone="").order_by("id")[:200]:
        assert idcard.validate(r.id_card) == r.id_card
        assert r.id_card_hash == lookup_hash(r.id_card) and r.id_last4 == r.id_card[-4:]
        assert re.fullmatch(r"1[3-9]\d{9}", r.phone) and r.phone_hash == lookup_hash(r.phone)
        assert idcard.birth_date(r.id_card) == r.birth_date
        assert idcard.gender(r.id_card) == r.gender
        assert r.search_text.startswith(r.name)
    tagged = [r for r in Resident.objects.exclude(tags=None).order_by("id")[:300] if r.tags]
    assert tagged and "elderly_alone" in {t for r in tagged for t in r.tags}


def test_party_members_belong_to_their_grid_branch_or_report_from_work(street, db):
    adults = sum(1 for r in Resident.objects.only("birth_date") if r.birth_date.year <= 2007)
    members = PartyMember.objects.select_related("resident", "organisation")
    assert 0.06 <= members.count() / adults <= 0.08
    for m in members:
        if m.in_service:
            assert m.organisation is None and m.external_organisation.endswith("党委")
        else:
            assert m.reported_community_id is None
            assert m.organisation.kind in {Kind.GRID_BRANCH, Kind.PARTY_COMMITTEE}
            if m.organisation.kind == Kind.GRID_BRANCH:
                assert m.organisation.parent_id == m.resident.grid_id
    assert members.filter(in_service=True, reported_community__isnull=False).exists()
    assert set(members.values_list("status", flat=True)) == {"formal", "probationary", "activist"}


def test_central_households_keep_in_touch_with_5_to_15_households_of_their_grid(street, db):
    centrals = CentralHousehold.objects.select_related("organisation", "household")
    members = PartyMember.objects.count()
    assert 0.08 <= centrals.count() / members <= 0.12
    for c in centrals:
        assert c.organisation.kind == Kind.CENTRAL_HOUSEHOLD
        assert c.organisation.parent_id == c.household.grid_id
        grids = set(c.links.values_list("household__grid_id", flat=True))
        assert grids == {c.household.grid_id}
        assert 5 <= c.links.count() <= 15
    linked = HouseholdLink.objects.values_list("household_id", flat=True)
    assert len(set(linked)) == len(linked)
    assert not set(linked) & set(centrals.values_list("household_id", flat=True))
    assert Building.objects.exclude(party_group=None).exists()


def test_demo_logins_hold_their_roles(street, db):
    root, output = street
    for line in ("admin", "street", "gridleader", "auditor", "Doorstep2026", "街道干部"):
        assert line in output
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="auditor").is_staff
    roles = dict(Membership.objects.values_list("user__username", "role__code"))
    assert roles["street"] == "street_officer" and roles["grid"] == "grid_worker"
    member = User.objects.get(username="member")
    keeper = CentralHousehold.objects.get(organisation=member.memberships.get().organisation).keeper
    assert keeper.resident.user == member
    resident = User.objects.get(username="resident").resident
    assert resident.household.link.central.keeper == keeper


def test_street_officer_opens_the_street_page(street, db, client):
    root, _ = street
    client.force_login(User.objects.get(username="street"))
    page = client.get(reverse("atlas:organisation", args=[root.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "静淑苑社区" in body and "建有网格党支部的网格：<b>9</b> / 10" in body


def test_the_demo_has_activities_held_and_to_come(street, db):
    from django.utils import timezone

    from doorstep.nearby.activities.models import Activity
    from doorstep.nearby.activities.services import attendance

    org, _ = street
    held = attendance(org)
    assert held["sessions"] == 4 and held["attendances"] > 50  # 场次 and 人次
    ahead = Activity.objects.filter(starts_at__gt=timezone.now())
    assert ahead.count() == 5
    assert ahead.filter(organiser__kind="co_building").exists()  # a unit publishes
    assert ahead.filter(booking__isnull=False).exists()  # rooms booked with them
    assert ahead.filter(signups__status="waiting").exists()  # one is full
    assert Activity.objects.filter(co_organisers__isnull=False).exists()


def test_the_demo_has_people_serving_with_hours_and_points_that_reconcile(street, db):
    from doorstep.service.ledger import recount
    from doorstep.service.models import PointLine, ServiceRecord, Team

    assert Team.objects.count() == 20  # five colours in each of four communities
    sources = set(ServiceRecord.objects.values_list("source", "status").distinct())
    assert {("case", "verified"), ("activity", "verified"), ("self", "pending")} <= sources
    assert PointLine.objects.filter(rule="case_resolved").exists()
    assert PointLine.objects.filter(rule="post_duty").exists()
    assert PointLine.objects.filter(rule="visit_logged").exists()
    assert recount() == []
    from doorstep.service.models import HonourList

    lists = HonourList.objects.all()
    assert {h.kind for h in lists} == {"pioneer", "volunteer"}
    assert all(h.entries for h in lists)


def test_the_population_counters_agree_with_the_residents(street, db):
    """The seeding fast path counts what it inserts (the cockpit reads these counters)."""
    assert tallies.differences(tallies.recount(), tallies.stored()) == []
    root, _ = street
    tags = PopulationTally.objects.filter(organisation=root, dimension="tag")
    assert sum(tags.values_list("n", flat=True)) > 0


def test_running_the_seed_again_adds_nothing(street, db):
    before = counts()
    output = seed(preset="xueyuanlu", site="http://127.0.0.1:8123/")
    assert "已经载入" in output and "gridleader" in output
    assert "打开 http://127.0.0.1:8123/ 用下面的账号登录" in output  # `make demo HOST=…`
    assert counts() == before


def test_district_at_small_scale_has_the_shape_of_jingkou(db):
    output = seed(preset="district", scale=0.01)
    assert "秒" in output
    district = Organisation.objects.get(code="321102-synthetic")
    under = Organisation.objects.under(district)
    grids = under.of_kind(Kind.GRID)
    assert grids.count() == 4
    assert under.of_kind(Kind.STREET).count() == 1
    assert under.of_kind(Kind.COMMUNITY).count() == 2
    assert under.of_kind(Kind.GRID_BRANCH).count() == 3
    assert under.of_kind(Kind.PARTY_GROUP).count() == 1
    households = Household.objects.filter(grid__in=grids).count()
    residents = Resident.objects.filter(grid__in=grids).count()
    assert households == 700
    assert 2.3 < residents / households < 2.7
    assert PartyMember.objects.filter(resident__grid__in=grids).count() == 61
    assert CentralHousehold.objects.filter(organisation__in=under).count() == 7
    linked = HouseholdLink.objects.filter(household__grid__in=grids).count()
    assert linked == households - 7  # every household but the central ones themselves
    assert Resident.objects.exclude(grid_id=F("household__grid_id")).count() == 0


def test_reset_rebuilds_the_same_data_and_keeps_the_audit_log(db):
    seed(preset="district", scale=0.01)
    before = counts()
    names = list(Resident.objects.order_by("id").values_list("name", flat=True)[:50])
    entry = audit.record(actor=None, action=AuditAction.LOGIN, actor_name="jk_grid")
    output = seed(preset="district", scale=0.01, reset=True)
    assert "已删除旧的演示数据" in output
    assert counts() == before
    rebuilt = list(Resident.objects.order_by("id").values_list("name", flat=True)[:50])
    assert rebuilt == names
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert audit.verify_chain().ok
    assert tallies.differences(tallies.recount(), tallies.stored()) == []


def test_the_demo_has_alliances_with_members_seats_and_unit_records(street, db):
    from django.utils import timezone

    from doorstep.cogov import alliances
    from doorstep.cogov.models import Agreement, Alliance, Seat, UnitProfile

    org, _ = street
    today = timezone.localdate()
    led = dict(Alliance.objects.values_list("lead__kind", "scheme__name"))
    assert led == {"street": "八共八联", "compound_branch": "四联"}
    units = Organisation.objects.filter(parent=org, kind__in=["co_building", "department"])
    assert UnitProfile.objects.filter(unit__in=units).count() == units.count() >= 5
    now = Agreement.objects.filter(starts_on__lte=today, ends_on__gt=today)
    assert now.filter(alliance__lead__kind="street").count() == units.count()
    assert Agreement.objects.filter(ends_on__lte=today).exists()  # an earlier term, one left
    bodies = {s.body for s in Seat.objects.select_related("node")}
    assert bodies == {"街道大工委", "社区大党委", "网格大支部"}
    records = [alliances.record_of(u) for u in units]
    assert any(r.matches_done and r.match_rating for r in records)
