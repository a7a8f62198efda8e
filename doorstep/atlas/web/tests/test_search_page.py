import pytest
from django.urls import reverse

from doorstep.atlas.web.search import search_all


@pytest.mark.parametrize("query", ["张伟", "張偉", "zhangwei", "ZhangWei", "zw"])
def test_a_resident_is_found_by_script_pinyin_and_initials(world, query):
    # 張偉 was registered in traditional characters; every form finds them.
    results = search_all(world.personas["community_officer"], query)
    assert [r.pk for r in results.residents] == [world.resident_b.pk]


@pytest.mark.parametrize("query", ["静淑苑", "靜淑苑", "jingshuyuan", "jsy"])
def test_buildings_are_found_and_residents_by_their_address(world, query):
    results = search_all(world.personas["grid_worker_a"], query)
    assert [b.pk for b in results.buildings] == [world.building_a.pk]
    assert {r.pk for r in results.residents} == {world.planted.pk, world.member.resident.pk}


def test_organisations_are_found_by_initials(world):
    results = search_all(world.personas["street_officer"], "elz")
    assert {o.name for o in results.organisations} == {"二里庄社区", "二里庄第一网格"}


def test_number_tails_find_people_within_scope_only(world):
    assert [r.pk for r in search_all(world.personas["grid_worker_a"], "000X").residents] == [
        world.planted.pk
    ]
    assert [r.pk for r in search_all(world.personas["grid_worker_a"], "5678").residents] == [
        world.planted.pk
    ]
    assert search_all(world.personas["grid_worker_b"], "000X").total == 0
    assert search_all(world.personas["outsider"], "王芳").total == 0


def test_a_full_id_number_is_matched_exactly(world):
    results = search_all(world.personas["community_officer"], "11010819850307000x")
    assert [r.pk for r in results.residents] == [world.planted.pk]


def test_search_page_lists_results(world, client):
    client.force_login(world.personas["grid_worker_b"])
    body = client.get(reverse("atlas:search"), {"q": "zw"}).content.decode()
    assert "張偉" in body and "王芳" not in body
