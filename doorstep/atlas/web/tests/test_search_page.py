import pytest
from django.urls import reverse

from doorstep.atlas.places.models import Building
from doorstep.atlas.web.search import search_all
from doorstep.core.search import search_text_for
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE


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


# A full number never sits in a URL (trust probe, finding 7): it lands in browser history,
# proxies and access logs. The page's form posts; a GET or an API URL with one is refused
# before any search runs.
FULL = [PLANTED_ID_CARD, PLANTED_PHONE, PLANTED_ID_CARD.lower(), f"电话 {PLANTED_PHONE}"]


def test_the_search_form_posts_and_finds_a_full_number(world, client):
    client.force_login(world.personas["grid_worker_a"])
    form = client.get(reverse("atlas:search")).content.decode()
    assert 'method="post"' in form
    for number in (PLANTED_ID_CARD, PLANTED_PHONE):
        page = client.post(reverse("atlas:search"), {"q": number}).content.decode()
        assert "王芳" in page and "共找到 1 条结果" in page


@pytest.mark.parametrize("number", FULL)
def test_a_url_with_a_full_number_is_refused_everywhere(world, client, number):
    client.force_login(world.personas["grid_worker_a"])
    for url, params in [
        (reverse("atlas:search"), {"q": number}),
        ("/api/residents", {"q": number}),
        ("/api/search", {"q": number}),
        ("/cases/", {"q": number}),
    ]:
        response = client.get(url, params)
        assert response.status_code == 400, url
        text = response.content.decode()
        assert "王芳" not in text and "不能放在网址里" in text
        if url.startswith("/api/"):
            assert response.json()["error"] == "number_in_url"


def test_the_api_finds_a_full_number_in_the_body(world, client):
    client.force_login(world.personas["grid_worker_a"])
    for url in ("/api/residents/search", "/api/search"):
        response = client.post(url, {"q": PLANTED_ID_CARD}, "application/json")
        assert response.status_code == 200
        found = response.json()
        items = found["items"] if "items" in found else found["residents"]
        assert [r["id"] for r in items] == [world.planted.pk]
    out_of_scope = client.post("/api/search", {"q": "110108198803030042"}, "application/json")
    assert out_of_scope.json()["total"] == 0  # 赵磊, grid C


@pytest.mark.parametrize(
    "query",
    ["lat=39.13912345678&lng=116.3", "q=5678", "page=2", "number=20261203000012345678"],
)
def test_other_long_digits_in_a_url_pass(query):
    from doorstep.core.middleware import carries_number

    assert not carries_number(query)


def test_the_count_is_the_number_of_rows_paged_through(world, client):
    """The overview said 共找到 70 条 when thousands matched; now each kind's count is true
    and its 全部 link pages through exactly that many."""
    Building.objects.bulk_create(
        [
            Building(name=f"测试苑{n}号楼", grid=world.grid_a, address=f"学院路{n}号")
            for n in range(1, 124)
        ]
    )
    for b in Building.objects.filter(name__startswith="测试苑"):
        Building.objects.filter(pk=b.pk).update(search_text=search_text_for(b.name, b.address))
    client.force_login(world.personas["street_officer"])
    overview = client.get(reverse("atlas:search"), {"q": "测试苑"}).content.decode()
    assert "共找到 123 条结果" in overview and "查看全部 123 栋" in overview
    seen, page = [], 1
    while True:
        body = client.get(
            reverse("atlas:search"), {"q": "测试苑", "kind": "buildings", "page": page}
        ).content.decode()
        assert "共 123 条" in body
        names = [line for line in body.split("<li>") if "测试苑" in line and "号楼" in line]
        seen += names
        if "下一页" not in body:
            break
        page += 1
    assert len(seen) == 123 and page == 3
    api = client.get("/api/search", {"q": "测试苑"}).json()
    assert api["total"] == 123 and len(api["buildings"]) == 50
