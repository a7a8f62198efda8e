"""The case desk and the case API find a request by a phrase of its text typed in 繁体,
in pinyin or by initials, like the atlas search (issue 14: 繁体 found nothing in the desk,
and the API searched titles only)."""

from __future__ import annotations

import pytest

from doorstep.cases import services
from doorstep.cases.locating import locate

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp(cw):
    return services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="三单元楼道灯坏了一周，晚上老人上下楼看不见",
        location=locate(building=cw.world.building_a),
    )


@pytest.mark.parametrize("phrase", ["樓道燈", "楼道灯", "loudaodeng", "ldd", "老人上下樓"])
def test_the_desk_and_the_api_find_a_request_by_its_text(cw, client, lamp, phrase):
    client.force_login(cw.personas["community_officer"])
    page = client.get("/cases/", {"tab": "all", "q": phrase})
    assert page.status_code == 200 and lamp.number in page.content.decode()
    api = client.get("/api/cases", {"q": phrase}).json()
    assert [c["number"] for c in api["items"]] == [lamp.number]


def test_a_phrase_that_is_not_there_finds_nothing(cw, client, lamp):
    client.force_login(cw.personas["community_officer"])
    assert client.get("/api/cases", {"q": "井盖"}).json()["count"] == 0
    assert lamp.number not in client.get("/cases/", {"tab": "all", "q": "井盖"}).content.decode()
