"""党建联盟: lists of 联建 items, unit profiles, alliances, agreements with terms, 兼职委员,
and a unit's record counted from the lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cogov import alliances, matching, projects, services
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Agreement, Alliance, Scheme, Seat, UnitProfile
from doorstep.cogov.tests.test_funds import receipt
from doorstep.core.models import AuditEntry

pytestmark = pytest.mark.django_db

D = dt.date
JAN_2026, JAN_2027 = D(2026, 1, 1), D(2027, 1, 1)


def community_alliance(co) -> Alliance:
    return alliances.found_alliance(
        actor=co.p["community_officer"], lead=co.world.community_1, name="清华东路社区党建联盟",
        scheme=alliances.four_links(), founded_on=D(2025, 6, 1), motto="组织联建、资源联用、事务联治、成果联享",
    )  # fmt: skip


def sign(co, alliance, unit, start=JAN_2026, end=JAN_2027, n_items=2, **kw):
    items = [i.pk for i in alliance.scheme.items.all()[:n_items]]
    return alliances.sign_agreement(
        actor=kw.pop("actor", co.p["community_officer"]), alliance=alliance, unit=unit,
        starts_on=start, ends_on=end, items=items, signed_on=kw.pop("signed_on", D(2025, 12, 20)), **kw,
    )  # fmt: skip


def test_a_street_adds_its_own_list_of_items_and_bad_lists_are_refused(co):
    street = co.p["street_officer"]
    scheme = alliances.create_scheme(
        actor=street, name="八共八联", items="组织共建\n阵地共享\n\n组织共建\n活动共办"
    )
    assert [i.label for i in scheme.items.all()] == ["组织共建", "阵地共享", "活动共办"]
    for name, items, field in (
        ("六联", "只有一项", "items"),
        ("八共八联", "甲\n乙", "name"),
        ("坏\x07名", "甲\n乙", "name"),
        ("十七项", "\n".join(f"事项{n}" for n in range(17)), "items"),
    ):
        with pytest.raises(CogovError) as exc:
            alliances.create_scheme(actor=street, name=name, items=items)
        assert exc.value.field == field
    with pytest.raises(NotAllowed):
        alliances.create_scheme(actor=co.p["community_officer"], name="六联", items="甲\n乙")
    assert list(Scheme.objects.exclude(name="四联").values_list("name", flat=True)) == ["八共八联"]


def test_a_unit_keeps_its_own_profile_and_nobody_else_outside_the_street_does(co):
    profile = alliances.save_profile(
        actor=co.p["liaison_904"], unit=co.hospital, sector="医院", party_org="904医院党委"
    )
    assert profile.sector == "hospital" and profile.path == co.hospital.path
    alliances.save_profile(actor=co.p["street_officer"], unit=co.hospital, sector="hospital",
                           address="兴源路1号")  # fmt: skip
    profile.refresh_from_db()
    assert profile.address == "兴源路1号" and profile.party_org == ""
    for actor in (co.p["liaison_theatre"], co.p["community_officer"], co.p["resident"]):
        with pytest.raises(NotAllowed):
            alliances.save_profile(actor=actor, unit=co.hospital, sector="school")
    with pytest.raises(CogovError):
        alliances.save_profile(actor=co.p["street_officer"], unit=co.world.grid_a, sector="other")
    profile.refresh_from_db()
    assert profile.sector == "hospital" and UnitProfile.objects.count() == 1


def test_agreements_commit_to_items_of_the_alliance_list_for_terms_that_never_overlap(
    co, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    alliance = community_alliance(co)
    first = sign(co, alliance, co.hospital, document=receipt("协议.jpg"), pledge="每月义诊")
    assert first.document.name.endswith("协议.jpg") and first.items.count() == 2
    assert first.in_force(D(2026, 6, 1)) and not first.in_force(D(2027, 1, 1))
    # The next term may start the day the last one ends; an overlap is refused.
    sign(co, alliance, co.hospital, start=D(2027, 1, 1), end=D(2028, 1, 1))
    with pytest.raises(Conflict):
        sign(co, alliance, co.hospital, start=D(2026, 12, 1), end=D(2027, 2, 1))
    other = alliances.create_scheme(actor=co.p["street_officer"], name="六联", items="甲\n乙")
    bad = [
        ({"items": [other.items.first().pk]}, "items"),
        ({"items": []}, "items"),
        ({"items": ["x"]}, "items"),
        ({"ends_on": D(2025, 1, 1)}, "ends_on"),
        ({"ends_on": D(2032, 1, 1)}, "ends_on"),
        ({"signed_on": D(2099, 1, 1)}, "signed_on"),
        ({"unit": co.world.grid_a}, "unit"),
        ({"pledge": "承诺\x00"}, "pledge"),
    ]
    for change, field in bad:
        args = {
            "actor": co.p["community_officer"], "alliance": alliance, "unit": co.theatre,
            "starts_on": D(2026, 1, 1), "ends_on": D(2027, 1, 1), "signed_on": D(2026, 1, 1),
            "items": [alliance.scheme.items.first().pk], **change,
        }  # fmt: skip
        with pytest.raises(CogovError) as exc:
            alliances.sign_agreement(**args)
        assert exc.value.field == field, change
    with pytest.raises(NotAllowed):  # the other community's staff, a liaison
        sign(co, alliance, co.theatre, actor=co.p["liaison_theatre"])
    assert Agreement.objects.filter(unit=co.theatre).count() == 0
    assert Agreement.objects.filter(unit=co.hospital).count() == 2
    assert AuditEntry.objects.filter(target_type="cogov.agreement").count() == 2


def test_a_unit_may_leave_early_and_its_term_ends_that_day(co):
    agreement = sign(co, community_alliance(co), co.hospital)
    with pytest.raises(CogovError):
        alliances.end_agreement(actor=co.p["community_officer"], agreement=agreement,
                                on=D(2027, 3, 1))  # fmt: skip
    alliances.end_agreement(actor=co.p["community_officer"], agreement=agreement, on=D(2026, 7, 1))
    agreement.refresh_from_db()
    assert agreement.ends_on == D(2026, 7, 1) and not agreement.in_force(D(2026, 8, 1))


def test_a_member_serves_as_part_time_committee_member_only_where_the_unit_pairs(co):
    alliance = community_alliance(co)
    sign(co, alliance, co.hospital)
    c1_party = Organisation.objects.get(kind=Kind.PARTY_COMMITTEE, parent=co.world.community_1)
    seat = alliances.seat_member(
        actor=co.p["community_officer"], node=c1_party, unit=co.hospital, name="张卫国",
        starts_on=D(2026, 3, 1), ends_on=D(2029, 3, 1),
    )  # fmt: skip
    assert seat.body == "社区大党委" and seat.post == "兼职委员"
    # The grid's 大支部 under the community is on the same line; the street's 大工委 too.
    alliances.seat_member(
        actor=co.p["street_officer"], node=co.world.branch_a, unit=co.hospital, name="李敏",
        starts_on=D(2026, 3, 1), ends_on=D(2027, 3, 1),
    )  # fmt: skip
    c2_party = create_organisation(
        name="二里庄社区党委", kind=Kind.PARTY_COMMITTEE, parent=co.world.community_2
    )
    refusals = [
        (co.p["street_officer"], c2_party, co.hospital, D(2026, 3, 1), "unit"),  # not paired
        (co.p["community_officer"], c1_party, co.theatre, D(2026, 3, 1), "unit"),  # no agreement
        (co.p["community_officer"], c1_party, co.hospital, D(2027, 3, 1), "unit"),  # expired
        (co.p["community_officer"], co.world.grid_a, co.hospital, D(2026, 3, 1), "node"),
    ]
    for actor, node, unit, start, field in refusals:
        with pytest.raises(CogovError) as exc:
            alliances.seat_member(actor=actor, node=node, unit=unit, name="王五",
                                  starts_on=start, ends_on=start + dt.timedelta(days=365))  # fmt: skip
        assert exc.value.field == field
    with pytest.raises(NotAllowed):
        alliances.seat_member(actor=co.p["liaison_904"], node=c1_party, unit=co.hospital,
                              name="王五", starts_on=D(2026, 3, 1), ends_on=D(2027, 1, 1))  # fmt: skip
    assert sorted(Seat.objects.values_list("name", flat=True)) == ["张卫国", "李敏"]


def test_a_units_record_is_counted_from_its_resources_matches_and_projects(co):
    officer = co.p["community_officer"]
    empty = alliances.record_of(co.hospital)
    assert (empty.resources, empty.matches_done, empty.projects_done, empty.served) == (0, 0, 0, 0)
    assert empty.match_rating is None and empty.ratings == 0
    resource = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="义诊", kind="service",
        fields=["health"], capacity="10", unit="sessions", area=co.world.street,
    )  # fmt: skip
    need = services.record_need(
        actor=officer, node=co.world.grid_a, title="老人量血压", field="health", wants="service",
        amount="2", unit="sessions",
    )  # fmt: skip
    match = matching.accept(actor=officer, need=need, resource=resource, amount="2")
    matching.confirm(actor=co.p["liaison_904"], match=match)
    matching.complete(actor=officer, match=match, rating="4")
    project = projects.propose(
        actor=officer, node=co.world.grid_a, title="健康小屋",
        starts_on=D(2026, 3, 1), ends_on=D(2026, 6, 30),
    )  # fmt: skip
    project.partners.add(co.hospital)
    project.__class__.objects.filter(pk=project.pk).update(status="public", served=40, volunteers=6)
    project.ratings.create(user=co.p["resident"], stars=5)
    theirs = alliances.record_of(co.hospital)
    assert (theirs.resources, theirs.live_resources, theirs.matches_done) == (1, 1, 1)
    assert (theirs.projects_done, theirs.served, theirs.volunteers) == (1, 40, 6)
    assert (theirs.match_rating, theirs.project_rating, theirs.ratings) == (4.0, 5.0, 2)
    assert alliances.record_of(co.theatre).projects_done == 0
    resource.refresh_from_db()
    assert resource.remaining == Decimal("8")


def test_a_units_volunteers_are_counted_from_check_ins_at_the_activities_it_runs(co):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from doorstep.core.testing import make_user
    from doorstep.nearby.activities import services as activities

    liaison = co.p["liaison_904"]
    start = timezone.now() + dt.timedelta(days=1)
    activity = activities.publish(
        actor=liaison, title="夜间义诊", kind="volunteer", organiser=co.hospital,
        territory=co.world.grid_a, address="静淑苑1号楼前", starts_at=start,
        ends_at=start + dt.timedelta(hours=3), capacity=10,
    )  # fmt: skip
    doctors = [make_user(f"doc{n}", f"医生{n}") for n in range(3)]
    for doctor in doctors:
        activities.sign_up(activity, doctor, as_volunteer=True)
    with time_machine.travel(start + dt.timedelta(minutes=10)):
        for doctor in doctors[:2]:  # the third did not come
            activities.check_in(activity, doctor, by=liaison)
    assert alliances.record_of(co.hospital).activity_volunteers == 2
    assert alliances.record_of(co.theatre).activity_volunteers == 0
