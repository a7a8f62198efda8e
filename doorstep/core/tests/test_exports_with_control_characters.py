"""Finding 3 of the trust probe: one control character (U+0001–U+001F) stored in a name,
a room or a case title made every Excel export that included it answer 500 (openpyxl
refuses the whole workbook). Rows stored before input refused them still export: the
export drops the characters and keeps the rest of the text."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Household
from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def stored(cw):
    """Control characters written straight to the table, as an older version or another
    system could have left them."""
    w = cw.world
    case = services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=w.building_a),
    )
    Case.objects.filter(pk=case.pk).update(title="楼道\x01灯坏了\x1f")
    Resident.objects.filter(pk=w.planted.pk).update(name="王\x02芳")
    Household.objects.filter(pk=w.household_a.pk).update(room="1\x0b01")
    return case


def _cells(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(body))
    return "\n".join(
        str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
    )


def test_the_case_export_drops_control_characters_and_keeps_the_rest(stored, cw, client):
    client.force_login(cw.personas["community_officer"])
    text = _cells(client.get("/cases/export.xlsx", {"tab": "all"}))
    assert "楼道灯坏了" in text and "\x01" not in text and "\x1f" not in text


def test_the_resident_register_exports_a_name_and_room_with_control_characters(stored, cw, client):
    client.force_login(cw.personas["community_officer"])
    text = _cells(client.post("/ledger/export/residents.xlsx"))
    assert "王**" in text or "王芳" in text  # masked or not, it is there
    assert "\x02" not in text and "\x0b" not in text


def test_the_cockpit_drill_list_exports_them_too(stored, cw, client):
    client.force_login(cw.personas["street_officer"])
    text = _cells(client.get(f"/cockpit/{cw.world.street.pk}/list/residents.xlsx"))
    assert "\x02" not in text
