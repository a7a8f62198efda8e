"""Open311 GET requests.{fmt} filters: ids, codes, status, dates, bad filters and the 1000 cap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from doorstep.cases.models import Case
from doorstep.cases.workflow import S

from .helpers import file_case


@pytest.fixture
def spread(o3):
    """Five cases: two repairs, a hazard, a closed one, one filed 100 days ago."""
    now = timezone.now()
    a = file_case(o3, description="一")
    b = file_case(o3, description="二")
    hazard = file_case(o3, description="三", category=o3.cw.hazard)
    closed = file_case(o3, description="四")
    Case.objects.filter(pk=closed.pk).update(status=S.CANCELLED)
    old = file_case(o3, description="五", created_at=now - dt.timedelta(days=100))
    return {"a": a, "b": b, "hazard": hazard, "closed": closed, "old": old, "now": now}


def _numbers(response) -> set[str]:
    return {r["service_request_id"] for r in response.data}


def test_filters(api, spread):
    s = spread
    n = {k: v.number for k, v in s.items() if k != "now"}
    recent = {n["a"], n["b"], n["hazard"], n["closed"]}
    assert _numbers(api.get("requests.json")) == recent  # default: the last 90 days
    ids = f"{n['a']}, {n['old']}"
    assert _numbers(api.get("requests.json", {"service_request_id": ids})) == {n["a"], n["old"]}
    # service_request_id overrides every other filter
    both = api.get("requests.json", {"service_request_id": n["old"], "status": "closed"})
    assert _numbers(both) == {n["old"]}
    assert _numbers(api.get("requests.json", {"service_code": "T010102"})) == {n["hazard"]}
    assert _numbers(api.get("requests.json", {"service_code": "NOPE"})) == set()
    assert _numbers(api.get("requests.json", {"status": "closed"})) == {n["closed"]}
    assert _numbers(api.get("requests.json", {"status": "open"})) == recent - {n["closed"]}
    assert _numbers(api.get("requests.json", {"status": "open,closed"})) == recent
    assert _numbers(api.get("requests.json", {"status": ["open", "closed"]})) == recent
    codes = {"service_code": ["T010102", "T010101"], "status": "open"}
    assert _numbers(api.get("requests.json", codes)) == {n["a"], n["b"], n["hazard"]}
    old_day = timezone.localtime(s["now"] - dt.timedelta(days=100))
    window = {
        "start_date": (old_day - dt.timedelta(days=1)).isoformat(),
        "end_date": (old_day + dt.timedelta(days=1)).isoformat(),
    }
    assert _numbers(api.get("requests.json", window)) == {n["old"]}
    start_only = {"start_date": (old_day - dt.timedelta(days=1)).date().isoformat()}
    assert _numbers(api.get("requests.json", start_only)) == {n["old"]}
    utc = {
        "start_date": (s["now"] - dt.timedelta(hours=1))
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    assert _numbers(api.get("requests.json", utc)) == recent
    xml = api.get("requests.xml", {"status": "closed"})
    assert [r.findtext("service_request_id") for r in xml.xml] == [n["closed"]]
    listed = api.get("requests.json").data
    assert [r["requested_datetime"] for r in listed] == sorted(
        (r["requested_datetime"] for r in listed), reverse=True
    )


@pytest.mark.parametrize(
    "params, words",
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2025-12-01T00:00:00Z"}, "早于"),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "90天"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "12,abc"}, "service_request_id"),
        ({"service_request_id": ","}, "service_request_id"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_answer_400(api, db, params, words, fmt):
    response = api.get(f"requests.{fmt}", params)
    assert response.status_code == 400
    text = (
        response.data[0]["description"]
        if fmt == "json"
        else response.xml.findtext("error/description")
    )
    assert words in text


def test_unknown_request_and_token(api, db):
    for path in ("requests/123.json", "requests/abc.json", "tokens/abcdef12.json", "tokens/zz.xml"):
        assert api.get(path).status_code == 404, path


def test_at_most_1000_requests(api, o3):
    case = file_case(o3)
    Case.objects.filter(pk=case.pk).update(number="0")
    fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    fields.pop("id")
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            **{
                **fields,
                "number": f"9{i:09d}",
                "code": None,
                "token": None,
                "created_at": now - dt.timedelta(seconds=i),
            }
        )
        for i in range(1005)
    )
    response = api.get("requests.json")
    assert len(response.data) == 1000
    assert response.data[0]["service_request_id"] == "9000000000"
