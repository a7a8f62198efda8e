"""No control character gets in; whatever text gets in exports (trust probe, findings 3
and 8: one U+0001 stored in a name, a room or a case title made every Excel export that
included it a 500).

Pages, the API and Open311 refuse C0 control characters (tab, line feed and carriage
return allowed) with a clear message and write nothing; the ledger and hotline imports
refuse the row. A property test then throws random Unicode at the writes and exports
everything: never a 500, every workbook opens.
"""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorstep.atlas.people.ledger import importer, sample
from doorstep.atlas.people.models import Resident
from doorstep.cases import hotline
from doorstep.cases.models import Case

from .test_canaries import _text

pytestmark = pytest.mark.django_db

BELL = "王\x07芳"


def test_a_page_form_with_a_control_character_is_refused_and_writes_nothing(world, client):
    client.force_login(world.personas["grid_worker_a"])
    before = Resident.objects.count()
    response = client.post(
        f"/households/{world.household_a.pk}/residents/new/",
        {"name": BELL, "residence_type": "registered", "relation": "other"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "“name”含有不可见的控制字符（U+0007）" in page and "<html" in page
    assert Resident.objects.count() == before


def test_the_api_names_the_field_even_deep_in_the_body(world, client):
    client.force_login(world.personas["grid_worker_a"])
    before = Resident.objects.count()
    for body, field in [
        ({"household": world.household_a.pk, "name": BELL, "residence_type": "registered"}, "name"),
        (
            {
                "household": world.household_a.pk,
                "name": "王芳",
                "residence_type": "registered",
                "tags": ["disabled\x1b"],
            },
            "tags",
        ),
    ]:
        response = client.post("/api/residents", json.dumps(body), "application/json")
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert "控制字符" in response.json()["detail"]
    assert Resident.objects.count() == before


def test_lines_and_tabs_are_welcome_in_a_description(cw, client):
    client.force_login(cw.personas["resident"])
    response = client.post(
        "/api/cases",
        json.dumps(
            {
                "category": cw.repair.code,
                "description": "楼道灯坏了\r\n第二行\t（晚上看不见）",
                "building_id": cw.world.building_a.pk,
            }
        ),
        "application/json",
    )
    assert response.status_code == 201, response.content[:300]


def test_open311_refuses_too_in_its_own_format(cw, client):
    from django.core.cache import cache

    from doorstep.cases.open311 import keys

    cache.clear()  # the per-key rate limits of earlier tests
    _, secret = keys.issue_key(name="市民App", actor=None)
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": secret,
            "service_code": cw.repair.code,
            "description": "路灯\x1b坏了",
            "lat": "40",
            "long": "116",
        },
    )
    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            "description": "参数 description 含有不可见的控制字符（U+001B），请删除后再提交",
        }
    ]


def test_a_ledger_row_with_a_control_character_is_refused(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    rows = [sample.resident_row(1, "静淑苑1号楼"), sample.resident_row(2, "静淑苑1号楼")]
    rows[1][0] = "李\x01雷"
    path = sample.write_csv(tmp_path / "居民台账.csv", rows)
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = importer.start_import(
        kind="residents",
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        actor=world.personas["community_officer"],
    )
    importer.run_job(job.pk)
    job.refresh_from_db()
    assert (job.imported, job.error_count) == (1, 1)
    assert job.errors[0]["message"] == "含有不可见的控制字符（U+0001），请删除后再提交"
    assert not Resident.objects.filter(name__contains="\x01").exists()


def test_a_hotline_row_with_a_control_character_is_refused(cw):
    rows = [
        (
            2,
            {
                "工单编号": "GD0001",
                "问题分类": cw.repair.name,
                "诉求内容": "井盖\x0b缺失",
                "地址": "",
                "来电时间": "2026-12-01 09:00",
            },
        )
    ]
    result = hotline.import_rows(rows, actor=cw.personas["community_officer"], fallback=None)
    assert result.created == 0
    assert "“诉求内容”含有不可见的控制字符（U+000B）" in str(result.errors)
    assert not Case.objects.filter(external_no="GD0001").exists()


# --- property test: any text in, every export out ------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=ANY_TEXT, note=ANY_TEXT, description=ANY_TEXT)
def test_random_text_never_breaks_a_write_or_an_export(cw, client, name, note, description):
    w = cw.world
    client.force_login(cw.personas["community_officer"])
    writes = [
        client.post(
            "/api/residents",
            json.dumps(
                {
                    "household": w.household_a.pk,
                    "name": name or "某",
                    "residence_type": "registered",
                    "note": note,
                }
            ),
            "application/json",
        ),
        client.patch(
            f"/api/residents/{w.resident_b.pk}", json.dumps({"note": note}), "application/json"
        ),
        client.post(
            "/api/cases",
            json.dumps(
                {
                    "category": cw.repair.code,
                    "description": description or "空",
                    "title": name,
                    "building_id": w.building_a.pk,
                }
            ),
            "application/json",
        ),
        client.post(
            f"/households/{w.household_a.pk}/residents/new/",
            {"name": name or "某", "residence_type": "registered", "relation": "other"},
        ),
    ]
    assert [r.status_code for r in writes if r.status_code >= 500] == []
    for url, method in (("/ledger/export/residents.xlsx", "post"), ("/cases/export.xlsx", "get")):
        response = getattr(client, method)(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        openpyxl.load_workbook(io.BytesIO(body), read_only=True).close()
        assert _text(body)  # readable as the parts of a zip
