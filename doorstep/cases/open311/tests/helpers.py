"""Shared helpers for the Open311 API tests: posting a request and filing a case directly."""

from __future__ import annotations

from doorstep.cases.locating import locate
from doorstep.cases.services import create_case
from doorstep.core.testing import PLANTED_PHONE


def post_request(api, o3, fmt="json", **data):
    """POST requests.{fmt} with o3's key and a default body; `None` drops a field."""
    body = {"api_key": o3.secret, "service_code": "T010101", "description": "楼道灯坏了"}
    body.update({k: v for k, v in data.items() if v is not None})
    for k in [k for k, v in data.items() if v is None]:
        body.pop(k, None)
    return api.post(f"requests.{fmt}", body)


def file_case(o3, *, description="门口垃圾没人清", anonymous=False, **kw):
    """File a case through the services (not the API), with a planted contact phone."""
    w = o3.cw.world
    return create_case(
        actor=kw.pop("actor", o3.cw.personas["resident"]),
        category=kw.pop("category", o3.cw.repair),
        description=description,
        location=locate(building=w.building_a),
        anonymous=anonymous,
        contact_name="王芳",
        contact_phone=PLANTED_PHONE,
        **kw,
    )
