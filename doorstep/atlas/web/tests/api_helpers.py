"""Shared helpers for the JSON API tests (test_api*.py)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

API = "/api"
MASKED_ID = "110***********000X"
MASKED_PHONE = "139****5678"


def body(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return json.loads(response.content)


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def as_(client: Client, world: Any, persona: str) -> Client:
    client.force_login(world.personas[persona])
    return client


def resident_payload(world: Any, **changes: Any) -> dict[str, Any]:
    payload = {"household": world.household_a.pk, "name": "新居民", "residence_type": "registered"}
    payload.update(changes)
    return payload
