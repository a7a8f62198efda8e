from django.urls import reverse


def test_street_officer_sees_tree_with_counts(world, login):
    client = login("street_officer", world)
    response = client.get(reverse("atlas:tree"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "学院路街道" in body
    assert "建有网格党支部的网格：<b>1</b> / 3" in body
    assert "与党员中心户结对的户：<b>1</b> / 4" in body


def test_grid_worker_drills_down_to_a_resident_with_masked_numbers(world, login):
    client = login("grid_worker_a", world)
    page = client.get(reverse("atlas:household", args=[world.household_a.pk]))
    assert page.status_code == 200
    detail = client.get(reverse("atlas:resident", args=[world.planted.pk])).content.decode()
    assert "110***********000X" in detail
    assert "139****5678" in detail
    assert "11010819850307000X" not in detail


def test_central_household_page_lists_its_linked_households(world, login):
    central = world.grid_a.children.get(kind="central_household")
    body = login("grid_worker_a", world).get(reverse("atlas:organisation", args=[central.pk]))
    text = body.content.decode()
    assert "联系户（党员联户）" in text and world.household_a.address in text
    assert world.household_b.address not in text


def test_party_nodes_count_members_down_the_party_chain(world, login):
    from doorstep.atlas.people.queries import subtree_counts

    committee = world.street.children.get(kind="working_committee")
    counts = subtree_counts(world.street, [committee, world.branch_a])
    # 党工委 → 社区党委 → 网格党支部 (李建国's relationship is with the grid branch).
    assert (counts[committee.pk].org_members, counts[committee.pk].org_descendants) == (1, 2)
    assert (counts[world.branch_a.pk].org_members, counts[world.branch_a.pk].org_descendants) == (
        1,
        0,
    )
    body = login("street_officer", world).get(reverse("atlas:organisation", args=[committee.pk]))
    assert "党员（含下级党组织）" in body.content.decode()
