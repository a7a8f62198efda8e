"""Open311 fixtures: a client that checks every response it gets, and a small world.

`api.get(...)` / `api.post(...)` go through Django's test client; each JSON response is
validated against the shared GeoReport v2 schemas (schemas.py) and each XML response is
parsed, and the error arrays must carry the HTTP status as their code. Tests talk to the
API only through `api`, so every response the suite produces is checked.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from doorstep.cases.open311 import keys
from doorstep.cases.open311.models import ApiKey
from doorstep.cases.testing import CaseWorld, build_case_world

from .schemas import kind_for, validate

BASE = "/open311/v2/"
XML_ROOTS = {
    "errors": "errors",
    "discovery": "discovery",
    "services": "services",
    "service_definition": "service_definition",
    "requests": "service_requests",
    "post": "service_requests",
    "tokens": "service_requests",
}


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.checked = 0

    def _check(self, method: str, path: str, response: Any) -> Any:
        kind = kind_for(method, path, response.status_code)
        if method == "HEAD":
            return response
        content_type = response["Content-Type"]
        body = response.content
        if content_type.startswith("application/json"):
            data = json.loads(body.decode("utf-8"))
            validate(kind, data)
            response.data = data
        else:
            assert content_type.startswith("application/xml"), content_type
            assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
            root = ET.fromstring(body)
            assert root.tag == XML_ROOTS[kind], (root.tag, kind)
            response.xml = root
            data = None
        if kind == "errors":
            if data is not None:
                assert all(e["code"] == response.status_code for e in data), data
            else:
                codes = [e.findtext("code") for e in response.xml]
                assert codes and all(c == str(response.status_code) for c in codes), codes
        self.checked += 1
        return response

    def get(self, path: str, params: dict | None = None) -> Any:
        return self._check("GET", BASE + path, self.client.get(BASE + path, params or {}))

    def head(self, path: str) -> Any:
        return self._check("HEAD", BASE + path, self.client.head(BASE + path))

    def post(self, path: str, data: dict | None = None, **kw: Any) -> Any:
        return self._check("POST", BASE + path, self.client.post(BASE + path, data or {}, **kw))

    def method(self, method: str, path: str) -> Any:
        response = getattr(self.client, method.lower())(BASE + path)
        return self._check(method.upper(), BASE + path, response)


@pytest.fixture
def api(client) -> Any:
    cache.clear()  # the rate-limit windows
    return Api(client)


@pytest.fixture
def cw(world) -> CaseWorld:
    return build_case_world(world)


@dataclass
class O3World:
    cw: CaseWorld
    key: ApiKey
    secret: str
    lat: float
    lon: float


@pytest.fixture
def o3(cw) -> O3World:
    """The case world with building A on the map and one API key (no user behind it)."""
    building = cw.world.building_a
    building.lat, building.lon = 39.9990, 116.3520
    building.save(update_fields=["lat", "lon"])
    key, secret = keys.issue_key(name="市民App", actor=None)
    return O3World(cw, key, secret, building.lat, building.lon)
