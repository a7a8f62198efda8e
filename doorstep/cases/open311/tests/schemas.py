"""Validate Open311 response bodies against the shared GeoReport v2 JSON Schemas.

The schemas in SHARED_DIR/data/open311 refer to each other by file name
(services.json → service.json); each is registered under its own file URI in a
`referencing.Registry`, so those references resolve as they would on disk. The POST and
token responses have no schema file of their own: they use the swagger definitions
(RequestResponse, TokenResponse). Error arrays and the discovery document have no shared
schema at all; the two small schemas below follow the GeoReport v2 text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = settings.SHARED_DIR / "data" / "open311"

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "endpoints"],
    "properties": {
        "changeset": {"type": "string", "format": "date-time"},
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "specification": {"type": "string", "format": "uri"},
                    "url": {"type": "string", "format": "uri"},
                    "changeset": {"type": "string", "format": "date-time"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}

_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
checker = FormatChecker()


@checker.checks("date-time", raises=ValueError)
def _date_time(value: Any) -> bool:
    # GeoReport v2: a subset of ISO 8601 that must carry its time zone.
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@checker.checks("uri")
def _uri(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlparse(value)
    return bool(parts.scheme and (parts.netloc or parts.path))


def uri(name: str) -> str:
    return (SCHEMA_DIR / name).resolve().as_uri()


@cache
def registry() -> Registry:
    files = sorted(SCHEMA_DIR.glob("*.json"))
    assert {f.name for f in files} >= {
        "service.json",
        "services.json",
        "service-definition.json",
        "request.json",
        "requests.json",
        "swagger.json",
    }, files
    return Registry().with_resources(
        (f.resolve().as_uri(), DRAFT7.create_resource(json.loads(f.read_text("utf-8"))))
        for f in files
    )


SCHEMAS: dict[str, Any] = {
    "services": {"$ref": uri("services.json")},
    "service_definition": {"$ref": uri("service-definition.json")},
    "requests": {"$ref": uri("requests.json")},
    "post": {
        "type": "array",
        "minItems": 1,
        "items": {
            "allOf": [
                {"$ref": uri("swagger.json") + "#/definitions/RequestResponse"},
                {"required": ["service_request_id"]},
            ]
        },
    },
    "tokens": {
        "type": "array",
        "minItems": 1,
        "items": {
            "allOf": [
                {"$ref": uri("swagger.json") + "#/definitions/TokenResponse"},
                {"required": ["service_request_id", "token"]},
            ]
        },
    },
    "errors": ERRORS,
    "discovery": DISCOVERY,
}


def validate(kind: str, body: Any) -> None:
    """Raise jsonschema.ValidationError unless `body` fits the schema named `kind`."""
    Draft7Validator(SCHEMAS[kind], registry=registry(), format_checker=checker).validate(body)


def kind_for(method: str, path: str, status: int) -> str:
    """Which schema a response to this request must fit."""
    if status >= 400:
        return "errors"
    tail = path.split("/open311/v2/", 1)[1].rsplit(".", 1)[0]
    if tail == "discovery":
        return "discovery"
    if tail == "services":
        return "services"
    if tail.startswith("services/"):
        return "service_definition"
    if tail == "requests" and method == "POST":
        return "post"
    if tail == "requests" or tail.startswith("requests/"):
        return "requests"
    if tail.startswith("tokens/"):
        return "tokens"
    raise AssertionError(f"no schema for {method} {path}")
