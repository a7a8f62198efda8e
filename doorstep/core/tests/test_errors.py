"""One error family: every domain error is a `core.errors.DomainError`, and the API answers
each kind (invalid, not allowed, conflict) with its status and a JSON body in Chinese."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest

import doorstep
from doorstep.core import errors as core

# Exceptions defined in the project that are not domain errors, and why. A new exception
# class is a DomainError (under its domain's name) unless it is listed here.
NOT_DOMAIN = {
    # a guard against a programming error (an append-only row saved twice): a 500 is right
    "doorstep.core.models.AppendOnly",
    # a validator's ValueError, shown by forms and the importers through their own messages
    "doorstep.core.idcard.IdCardError",
    # one bad row of a 12345 file: collected into the import's row errors, never raised out
    "doorstep.cases.hotline.RowError",
    # Open311's own error array (its status codes and wire format are Open311's)
    "doorstep.cases.open311.views.ApiError",
    # a page's query string that cannot be parsed, answered by the view that raises it
    "doorstep.cockpit.views.BadPeriod",
    "doorstep.service.web.views_honours.BadQuery",
    "doorstep.nearby.web.views_circle.BadInput",
    # a read that skipped the access door: a programming error, a 500 is right
    "doorstep.core.doorguard.SkippedTheDoor",
}


def _project_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(doorstep.__path__, "doorstep."):
        parts = info.name.split(".")
        if "tests" in parts or "migrations" in parts:
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == info.name:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_domain_error_is_one_family():
    found = _project_exceptions()
    strays = sorted(
        name
        for name, cls in found.items()
        if name not in NOT_DOMAIN and not issubclass(cls, core.DomainError)
    )
    assert strays == [], f"not in the one family (subclass core.errors.DomainError): {strays}"
    # the families the domains raise are all there, each under its own name
    for name in (
        "doorstep.cases.errors.CaseError",
        "doorstep.service.errors.ServiceError",
        "doorstep.nearby.sites.errors.SiteError",
        "doorstep.nearby.activities.services.ActivityError",
        "doorstep.nearby.circle.errors.CircleError",
    ):
        assert issubclass(found[name], core.DomainError), name


def test_each_kind_keeps_its_status_and_code():
    kinds = {core.DomainError: (400, "invalid"), core.NotAllowed: (403, "forbidden")}
    kinds[core.Conflict] = (409, "conflict")
    for cls in _project_exceptions().values():
        if not issubclass(cls, core.DomainError):
            continue
        kind = next(
            k for k in (core.NotAllowed, core.Conflict, core.DomainError) if issubclass(cls, k)
        )
        assert (cls.status, cls.code) == kinds[kind], cls
    from doorstep.cases.errors import CaseError, Conflict, NotAllowed
    from doorstep.nearby.sites.errors import SiteError, SlotTaken
    from doorstep.service.errors import Denied, ServiceError

    assert issubclass(NotAllowed, CaseError) and issubclass(NotAllowed, core.NotAllowed)
    assert issubclass(Conflict, CaseError) and issubclass(Conflict, core.Conflict)
    assert issubclass(Denied, ServiceError) and issubclass(Denied, core.NotAllowed)
    assert issubclass(SlotTaken, SiteError) and issubclass(SlotTaken, core.Conflict)
    assert not issubclass(NotAllowed, ServiceError)  # `except CaseError` stays a case's
    e = Conflict("已被他人处理", field="version")
    assert (e.message, e.field, str(e)) == ("已被他人处理", "version", "已被他人处理")


def _post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_the_api_answers_each_kind_with_its_status_and_message(client, cw):
    p = cw.personas
    client.force_login(p["resident"])
    r = _post(client, "/api/cases", {"category": cw.repair.code, "description": "楼道灯坏了"})
    assert r.status_code == 201, r.content
    number = r.json()["number"]

    # NotAllowed → 403: the resident may not accept a case
    r = _post(client, f"/api/cases/{number}/moves/accept", {})
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden" and _chinese(r.json()["detail"])

    client.force_login(p["community_officer"])
    # Conflict → 409: a stale version
    r = _post(client, f"/api/cases/{number}/moves/accept", {"version": 99})
    assert r.status_code == 409
    assert r.json()["error"] == "conflict" and _chinese(r.json()["detail"])

    # plain DomainError → 400, naming the field: the filing service wants a leaf category
    client.force_login(p["resident"])
    r = _post(client, "/api/cases", {"category": cw.repair.parent.code, "description": "x"})
    assert r.status_code == 400
    data = r.json()
    assert data["error"] == "invalid" and data["field"] == "category" and _chinese(data["detail"])
    assert set(data) == {"error", "detail", "field"}
    assert "\\u" not in r.content.decode()  # Chinese as itself


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
