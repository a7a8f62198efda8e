"""参与式: a resident proposes for their community, neighbours support it once each, the
community adopts it as a participatory project or declines it; nobody else may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from doorstep.cogov import proposals
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Project, Proposal, ProposalVote
from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db


def _neighbour(co, username="neighbour"):
    """A second resident of 清华东路社区 (grid B) with an account."""
    user = make_user(username, "邻居")
    resident = co.world.resident_b  # 張偉, grid B of community 1
    resident.user = user
    resident.save(update_fields=["user"])
    return user


def test_a_resident_proposes_neighbours_support_and_the_community_adopts_it(co):
    resident = co.p["resident"]
    proposal = proposals.propose(actor=resident, title="小区口装快递柜", summary="老人取件方便")
    assert proposal.node == co.world.community_1
    neighbour = _neighbour(co)
    assert proposals.support(actor=neighbour, proposal=proposal).votes == 1
    assert proposals.support(actor=resident, proposal=proposal).votes == 2
    with pytest.raises(Conflict, match="已经支持过"):
        proposals.support(actor=neighbour, proposal=proposal)
    with pytest.raises(NotAllowed):  # staff are not residents of it
        proposals.support(actor=co.p["street_officer"], proposal=proposal)
    assert Proposal.objects.get(pk=proposal.pk).votes == ProposalVote.objects.count() == 2
    with pytest.raises(NotAllowed):  # a grid worker does not take proposals up
        proposals.adopt(
            actor=co.p["grid_worker_a"], proposal=proposal, starts_on="2027-01-01",
            ends_on="2027-06-30",
        )  # fmt: skip
    project = proposals.adopt(
        actor=co.p["community_officer"], proposal=proposal, starts_on="2027-01-01",
        ends_on="2027-06-30",
    )  # fmt: skip
    assert project.kind == "participatory" and project.status == "proposed"
    assert project.summary.startswith("居民提议，2位居民支持。")
    with pytest.raises(Conflict, match="已结束征集"):
        proposals.support(actor=_neighbour(co, "late"), proposal=proposal)


def test_bad_proposals_and_outsiders_write_nothing(co):
    with pytest.raises(NotAllowed):  # no home on the street
        proposals.propose(actor=co.p["outsider"], title="装路灯")
    with pytest.raises(CogovError, match="提议"):
        proposals.propose(actor=co.p["resident"], title="长" * 61)
    proposal = proposals.propose(actor=co.p["resident"], title="装路灯")
    with pytest.raises(CogovError, match="未采纳原因"):
        proposals.decline(actor=co.p["community_officer"], proposal=proposal, reason="")
    with pytest.raises(CogovError, match="计划完成"):
        proposals.adopt(
            actor=co.p["community_officer"], proposal=proposal, starts_on="2027-03-01",
            ends_on="2027-01-01",
        )  # fmt: skip
    assert Project.objects.count() == 0
    assert Proposal.objects.get(pk=proposal.pk).status == "open"


def test_the_pages_show_no_names_and_only_the_community_sees_its_proposals(co, client):
    proposals.propose(actor=co.p["resident"], title="楼道装扶手")
    neighbour = _neighbour(co)
    client.force_login(neighbour)
    page = client.get(reverse("cogov:proposals")).content.decode()
    assert "楼道装扶手" in page and "王芳" not in page and "居民王芳" not in page
    proposal = Proposal.objects.get()
    r = client.post(reverse("cogov:proposal_act", args=[proposal.pk, "support"]), follow=True)
    assert "已支持这条提议" in r.content.decode() and "您已支持" in r.content.decode()
    # a resident of the other community neither sees it nor can support it
    other = make_user("far", "远方居民")
    co.world.resident_c.user = other
    co.world.resident_c.save(update_fields=["user"])
    client.force_login(other)
    assert "楼道装扶手" not in client.get(reverse("cogov:proposals")).content.decode()
    url = reverse("cogov:proposal_act", args=[proposal.pk, "support"])
    assert client.post(url).status_code == 404
    assert Proposal.objects.get().votes == 1
    # staff adopt it from the page
    client.force_login(co.p["community_officer"])
    r = client.post(
        reverse("cogov:proposal_act", args=[proposal.pk, "adopt"]),
        {"starts_on": "2027-01-01", "ends_on": (dt.date(2027, 3, 1)).isoformat()},
    )
    project = Project.objects.get()
    assert r["Location"] == reverse("cogov:project", args=[project.pk])
