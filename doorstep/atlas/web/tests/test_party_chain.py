"""The party chain both ways on pages: a 社区党委 lists the branches under it (they sit
under grids in the tree, not under the committee) with their members; a 中心户 names its
member; a household names its 中心户 and that member."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doorstep.atlas.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_a_community_committee_lists_its_branches_and_a_branch_its_superior(world, client):
    client.force_login(world.personas["community_officer"])
    committee = world.branch_a.party_parent
    body = client.get(reverse("atlas:organisation", args=[committee.pk])).content.decode()
    listed = body[body.index('id="party-children"') :]
    below = Organisation.objects.filter(party_parent=committee)
    assert below.exists()
    for org in below:
        assert reverse("atlas:organisation", args=[org.pk]) in listed, org.name
    m = re.search(r"下级党组织 <span class=\"muted\">(\d+) 个", body)
    assert m and int(m.group(1)) == below.count()
    body = client.get(reverse("atlas:organisation", args=[world.branch_a.pk])).content.decode()
    assert f'上级党组织：<a href="{reverse("atlas:organisation", args=[committee.pk])}"' in body


def test_a_central_household_and_a_linked_household_name_the_member(world, client):
    client.force_login(world.personas["community_officer"])
    central = Organisation.objects.get(name="李建国党员中心户")
    body = client.get(reverse("atlas:organisation", args=[central.pk])).content.decode()
    assert 'id="keeper"' in body and world.member.resident.name in body
    body = client.get(reverse("atlas:household", args=[world.household_a.pk])).content.decode()
    assert "联系党员中心户" in body and "李建国党员中心户" in body
    assert world.member.resident.name in body
    body = client.get(reverse("atlas:household", args=[world.household_b.pk])).content.decode()
    assert "尚未与党员中心户结对" in body


def test_another_grids_worker_sees_no_member_outside_their_scope(world, client):
    client.force_login(world.personas["grid_worker_b"])
    central = Organisation.objects.get(name="李建国党员中心户")
    assert client.get(reverse("atlas:organisation", args=[central.pk])).status_code == 404
