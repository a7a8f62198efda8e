"""Open311 GET requests show public data only: no contact details, drafts or private places."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from doorstep.cases.locating import locate
from doorstep.cases.models import Case, Source
from doorstep.cases.open311.public import status_of
from doorstep.cases.services import create_case
from doorstep.cases.workflow import STATUS_LABELS, S
from doorstep.core.testing import PLANTED_PHONE

from .helpers import file_case


def test_private_fields_never_appear(api, o3):
    reporter = o3.cw.personas["resident"]
    plain = file_case(o3, description="楼下噪音扰民，请联系我 13912345678")
    hidden = file_case(o3, description="邻居占用消防通道", anonymous=True)
    bodies = [
        api.get("requests.json").content,
        api.get("requests.xml").content,
        api.get(f"requests/{plain.number}.json").content,
        api.get(f"requests/{plain.number}.xml").content,
        api.get(f"requests/{hidden.number}.json").content,
    ]
    for body in bodies:
        text = body.decode("utf-8")
        assert PLANTED_PHONE not in text
        assert "王芳" not in text and reporter.display_name not in text
        assert reporter.username not in text.replace("service_requests", "")
        assert "reporter" not in text and "contact" not in text
    listed = {r["service_request_id"]: r for r in api.get("requests.json").data}
    assert "139****5678" in listed[plain.number]["description"]
    anon = listed[hidden.number]
    assert anon["address"] == o3.cw.world.grid_a.name
    assert anon["lat"] is None and anon["long"] is None and anon["address_id"] is None
    assert listed[plain.number]["lat"] == pytest.approx(o3.lat)


def test_drafts_are_not_public(api, o3):
    grid_worker = o3.cw.personas["grid_worker_a"]
    draft = create_case(
        actor=grid_worker,
        category=o3.cw.repair,
        description="巡查发现井盖松动",
        location=locate(building=o3.cw.world.building_a),
        kind="patrol",
        source=Source.PATROL,
        draft=True,
    )
    assert draft.status == S.DRAFT
    assert api.get(f"requests/{draft.number}.json").status_code == 404
    assert draft.number not in api.get("requests.json").content.decode()
    assert api.get(f"tokens/{draft.token}.json").status_code == 404


@pytest.mark.parametrize("status", [s for s in STATUS_LABELS])
def test_status_mapping(status):
    case = Case(status=status)
    expected = "closed" if status in {S.CLOSED, S.ARCHIVED, S.CANCELLED} else "open"
    assert status_of(case) == expected


def test_closed_and_detailed_status(api, o3):
    case = file_case(o3)
    closed_at = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        status=S.CLOSED, closed_at=closed_at, resolution="已更换灯泡，联系人13912345678"
    )
    [request] = api.get(f"requests/{case.number}.json").data
    assert request["status"] == "closed"
    assert request["detailed_status"] == S.CLOSED
    assert request["status_notes"].startswith("已办结：已更换灯泡")
    assert PLANTED_PHONE not in request["status_notes"]
    assert request["updated_datetime"] == timezone.localtime(closed_at).isoformat(
        timespec="seconds"
    )


def test_text_that_xml_cannot_carry_is_dropped_from_xml(api, o3):
    case = file_case(o3, description="坏了\x01\x0b 请修")
    response = api.get(f"requests/{case.number}.xml")
    assert response.xml.findtext("request/description") == "坏了 请修"
    assert api.get(f"requests/{case.number}.json").data[0]["description"] == "坏了\x01\x0b 请修"


def test_hotline_and_patrol_cases_show_only_their_grid(api, o3):
    """Nobody chose to publish these: like anonymous cases, no address or coordinates."""
    grid_worker = o3.cw.personas["grid_worker_a"]
    building = o3.cw.world.building_a
    patrol = create_case(
        actor=grid_worker,
        category=o3.cw.repair,
        description="巡查发现楼道堆物",
        location=locate(building=building),
        kind="patrol",
        source=Source.PATROL,
    )
    [body] = api.get(f"requests/{patrol.number}.json").data
    assert body["address"] == o3.cw.world.grid_a.name
    assert body["lat"] is None and body["long"] is None and body["address_id"] is None
    assert building.name not in json.dumps(body, ensure_ascii=False)


def test_the_list_says_of_each_case_what_its_own_page_says(api, o3):
    """The list reads plain rows (public.request_dicts), the single request a model: the
    same answer for a plain, an anonymous, a patrol, a closed and a merged case."""
    plain = file_case(o3)
    anonymous = file_case(o3, description="邻居占用消防通道", anonymous=True)
    patrol = create_case(
        actor=o3.cw.personas["grid_worker_a"], category=o3.cw.repair,
        description="巡查发现楼道堆物", location=locate(building=o3.cw.world.building_a),
        kind="patrol", source=Source.PATROL,
    )  # fmt: skip
    closed = file_case(o3, description="路灯不亮")
    Case.objects.filter(pk=closed.pk).update(
        status=S.CLOSED, closed_at=timezone.now(), resolution="已修好，联系13912345678"
    )
    merged = file_case(o3, description="路灯不亮，同上")
    Case.objects.filter(pk=merged.pk).update(status=S.CANCELLED, merged_into=closed)
    listed = {r["service_request_id"]: r for r in api.get("requests.json").data}
    for case in (plain, anonymous, patrol, closed, merged):
        [own] = api.get(f"requests/{case.number}.json").data
        assert listed[case.number] == own, case.number
    assert listed[merged.number]["status_notes"].endswith(f"已并入工单 {closed.number}")
    assert listed[anonymous.number]["lat"] is None
