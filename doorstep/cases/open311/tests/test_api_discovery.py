"""Open311 discovery, service list and definitions, unknown paths, and the schema checker itself."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery(api, db, fmt):
    response = api.get(f"discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        endpoint = response.data["endpoints"][0]
        assert endpoint["url"].endswith("/open311/v2")
        assert "application/json" in endpoint["formats"]
    else:
        formats = [f.text for f in response.xml.find("endpoints/endpoint/formats")]
        assert formats == ["application/json", "application/xml"]


def test_services_are_the_active_leaf_categories(api, o3):
    cw = o3.cw
    from doorstep.cases.models import Category

    Category.objects.create(code="OFF", name="停用分类", level=1, active=False)
    Category.objects.create(code="P01", name="巡查事项", level=1, kind="patrol")
    response = api.get("services.json")
    assert response.status_code == 200
    by_code = {s["service_code"]: s for s in response.data}
    assert set(by_code) == {"C01", "T010101", "T010102"}
    repair = by_code["T010101"]
    assert repair["service_name"] == "物业报修"
    assert repair["group"] == "城乡建设"
    assert repair["keywords"] == "城乡建设,住房保障与房地产,物业报修"
    assert repair["metadata"] is False and repair["type"] == "realtime"
    assert by_code["C01"]["group"] == cw.wish.name

    xml = api.get("services.xml")
    assert xml["Content-Type"] == "application/xml; charset=utf-8"
    services = xml.xml.findall("service")
    assert sorted(s.findtext("service_code") for s in services) == sorted(by_code)
    first = services[0]
    assert first.findtext("metadata") == "false"
    assert {c.tag for c in first} >= {"service_code", "service_name", "type", "group"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_and_unknown_code(api, o3, fmt):
    response = api.get(f"services/T010102.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert response.data == {"service_code": "T010102", "attributes": []}
    else:
        assert response.xml.findtext("service_code") == "T010102"
    for code in ("NOPE", "T01", "T0101", "x.y"):  # unknown, or not a leaf
        missing = api.get(f"services/{code}.{fmt}")
        assert missing.status_code == 404, code
    if fmt == "json":
        assert missing.data[0]["code"] == 404


def test_unknown_format_path_and_method(api, db):
    assert api.get("services.csv").status_code == 404
    assert api.get("services.JSON").status_code == 404
    assert api.get("nothing.json").status_code == 404
    assert api.get("nothing.xml").xml.tag == "errors"
    assert api.get("").status_code == 404
    response = api.method("DELETE", "requests.json")
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert api.post("services.json").status_code == 405
    assert api.head("services.json").status_code == 200


def test_the_schema_helper_is_not_vacuous():
    from jsonschema import ValidationError

    from .schemas import validate

    good = {"service_code": "A", "service_name": "a", "metadata": False, "type": "realtime"}
    validate("services", [good])
    bad_bodies = [
        ("services", [{**good, "type": "sometimes"}]),  # through services.json → service.json
        ("services", [{"service_code": "A"}]),
        ("requests", [{"service_request_id": 1, "status": "open", "service_code": "A"}]),
        (
            "requests",
            [
                {
                    "service_request_id": "1",
                    "status": "open",
                    "service_code": "A",
                    "requested_datetime": "2026-11-22 09:00",  # no T, no zone
                }
            ],
        ),
        ("requests", [{"service_request_id": "1", "status": "pending", "service_code": "A"}]),
        ("service_definition", {"service_code": "A", "attributes": [{"code": "x"}]}),
        ("post", [{"service_request_id": "1", "account_id": None}]),  # swagger RequestResponse
        ("tokens", [{"service_request_id": "1"}]),
        ("errors", [{"code": "400"}]),
    ]
    for kind, body in bad_bodies:
        with pytest.raises(ValidationError):
            validate(kind, body)
