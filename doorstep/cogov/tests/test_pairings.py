"""结对: departments paired with communities and their service lists, cadres linked to
communities and grids, their 三结三问 visits and the 民生实事 counted from the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cogov import pairings
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Need, NeedStatus, Pairing, PairingOffer
from doorstep.core.models import AuditEntry
from doorstep.core.testing import make_user
from doorstep.service.models import Visit

TODAY = timezone.localdate()
YEAR_ON = TODAY + dt.timedelta(days=365)


@pytest.fixture
def civil(co):
    """The district's 民政局 with its liaison."""
    district = create_organisation(name="海淀区", kind=Kind.DISTRICT, parent=None)
    bureau = create_organisation(name="区民政局", kind=Kind.DEPARTMENT, parent=district)
    liaison = make_user("civil", "民政局联络员", ("department_liaison", bureau))
    return bureau, liaison


def _link(co, cadre=None, node=None, **kw):
    return pairings.link_cadre(
        actor=co.p["street_officer"],
        cadre=cadre or co.p["cadre"],
        node=node or co.world.community_1,
        level=kw.pop("level", "district"),
        post=kw.pop("post", "区民政局副局长"),
        starts_on=kw.pop("starts_on", TODAY - dt.timedelta(days=30)),
        ends_on=kw.pop("ends_on", YEAR_ON),
    )


def test_a_department_pairs_with_a_community_and_publishes_its_service_list(co, civil):
    bureau, liaison = civil
    pairing = pairings.pair_department(
        actor=co.p["street_officer"],
        department=bureau,
        node=co.world.community_1,
        starts_on=TODAY,
        ends_on=YEAR_ON,
    )
    line = pairings.add_offer(
        actor=liaison,
        pairing=pairing,
        title="政策宣讲进社区",
        detail="低保、临时救助政策解读",
        frequency="每季度一次",
    )
    assert list(pairing.offers.values_list("title", "frequency")) == [
        ("政策宣讲进社区", "每季度一次")
    ]
    assert AuditEntry.objects.filter(
        target_type="cogov.pairingoffer", target_id=str(line.pk)
    ).exists()
    # the same department, an overlapping term: refused, nothing written
    with pytest.raises(Conflict, match="在该期限内已结对"):
        pairings.pair_department(
            actor=co.p["street_officer"],
            department=bureau,
            node=co.world.community_1,
            starts_on=TODAY + dt.timedelta(days=100),
            ends_on=YEAR_ON + dt.timedelta(days=100),
        )
    assert Pairing.objects.count() == 1


def test_who_may_pair_and_publish(co, civil):
    bureau, liaison = civil
    with pytest.raises(NotAllowed):  # a community's staff do not record the district's pairings
        pairings.pair_department(
            actor=co.p["community_officer"],
            department=bureau,
            node=co.world.community_1,
            starts_on=TODAY,
            ends_on=YEAR_ON,
        )
    with pytest.raises(CogovError, match="机关部门"):  # a co-building unit is not a department
        pairings.pair_department(
            actor=co.p["street_officer"],
            department=co.hospital,
            node=co.world.community_1,
            starts_on=TODAY,
            ends_on=YEAR_ON,
        )
    with pytest.raises(CogovError, match="社区"):  # departments pair with communities
        pairings.pair_department(
            actor=co.p["street_officer"],
            department=bureau,
            node=co.world.grid_a,
            starts_on=TODAY,
            ends_on=YEAR_ON,
        )
    pairing = pairings.pair_department(
        actor=co.p["street_officer"],
        department=bureau,
        node=co.world.community_1,
        starts_on=TODAY,
        ends_on=YEAR_ON,
    )
    with pytest.raises(NotAllowed):  # another unit's liaison
        pairings.add_offer(actor=co.p["liaison_904"], pairing=pairing, title="义诊")
    with pytest.raises(CogovError, match="服务项目"):
        pairings.add_offer(actor=liaison, pairing=pairing, title="义诊\x07")
    assert PairingOffer.objects.count() == 0


def test_linking_a_cadre_grants_the_role_for_the_term_and_ending_it_takes_it_back(co):
    cadre = make_user("cadre2", "区民政局王科长")
    pairing = _link(co, cadre=cadre)
    held = Membership.objects.get(user=cadre, role__code="cadre")
    assert held.organisation == co.world.community_1
    assert timezone.localtime(held.valid_to).date() == YEAR_ON
    cadre = type(cadre).objects.get(pk=cadre.pk)  # fresh permission cache
    assert cadre.has_perm("service.add_visit") and not cadre.has_perm("people.view_resident")
    with pytest.raises(Conflict, match="已联系"):
        _link(co, cadre=cadre, starts_on=TODAY)
    pairings.end_pairing(actor=co.p["street_officer"], pairing=pairing, on=TODAY)
    assert not Membership.objects.filter(user=cadre, role__code="cadre").exists()
    assert Pairing.objects.get(pk=pairing.pk).ends_on == TODAY
    ops = AuditEntry.objects.filter(action="role_change").values_list("detail__op", flat=True)
    assert list(ops.order_by("id")) == ["grant", "revoke"]


def test_a_cadre_visit_puts_a_need_on_the_list_and_files_a_case(co, cw):
    _link(co)
    cadre = co.p["cadre"]
    category = cw.repair
    visit = pairings.record_cadre_visit(
        actor=cadre,
        node=co.world.grid_a,  # a grid of the linked community
        visited_on=TODAY,
        asks=["effect", "need"],
        found="骑手反映夜间就医难，楼道灯坏了三盏",
        need={"title": "骑手夜间就医", "field": "new_workers", "wants": "service", "people": "12"},
        case={"category": category, "description": "静淑苑1号楼楼道灯坏了三盏"},
    )
    assert visit.kind == "cadre" and visit.asks == ["need", "effect"]
    need = Need.objects.get(visit=visit)
    assert need.source == "visit" and need.node == co.world.grid_a and need.people == 12
    assert visit.follow_up_case.description == "静淑苑1号楼楼道灯坏了三盏"
    record = pairings.record_of(cadre)
    assert (record.visits, record.needs, record.cases, record.deeds) == (1, 1, 1, 0)
    assert record.asks == {"need": 1, "advice": 0, "effect": 1}
    # the need met: one 民生实事 pushed to closure, from the record
    Need.objects.filter(pk=need.pk).update(status=NeedStatus.MET)
    assert pairings.record_of(cadre).deeds == 1


def test_a_cadre_visit_outside_the_links_or_with_bad_input_writes_nothing(co):
    _link(co, node=co.world.grid_a)
    cadre = co.p["cadre"]
    base = {"actor": cadre, "visited_on": TODAY, "asks": ["need"], "found": "走访了解情况"}
    with pytest.raises(NotAllowed):  # grid C is not linked
        pairings.record_cadre_visit(node=co.world.grid_c, **base)
    with pytest.raises(NotAllowed):  # before the link began
        pairings.record_cadre_visit(
            node=co.world.grid_a, **{**base, "visited_on": TODAY - dt.timedelta(days=40)}
        )
    with pytest.raises(CogovError, match="问需、问计、问效"):
        pairings.record_cadre_visit(node=co.world.grid_a, **{**base, "asks": []})
    with pytest.raises(CogovError, match="走访情况"):
        pairings.record_cadre_visit(node=co.world.grid_a, **{**base, "found": "情况\x00"})
    with pytest.raises(CogovError, match="需求"):  # the need half is bad: the visit goes too
        pairings.record_cadre_visit(
            node=co.world.grid_a, need={"title": "", "field": "elderly", "wants": "service"}, **base
        )
    with pytest.raises(NotAllowed):  # a grid worker holds no link
        pairings.record_cadre_visit(
            node=co.world.grid_a, **{**base, "actor": co.p["grid_worker_a"]}
        )
    assert Visit.objects.filter(kind="cadre").count() == 0
    assert Need.objects.count() == 0
