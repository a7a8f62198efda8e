"""The services' signatures: the acting user is typed (never `Any`) and passed by keyword."""

from __future__ import annotations

import importlib
import inspect

import pytest

SERVICES = [
    "doorstep.atlas.organisations.services",
    "doorstep.atlas.people.services",
    "doorstep.atlas.people.households",
    "doorstep.cases.services",
    "doorstep.cases.moves",
    "doorstep.cases.moves_escalation",
    "doorstep.inbox.services",
    "doorstep.nearby.sites.services",
    "doorstep.nearby.activities.services",
    "doorstep.service.teams",
    "doorstep.service.records",
    "doorstep.service.ledger",
    "doorstep.service.visits",
    "doorstep.service.honours",
    "doorstep.service.certificates",
]
USERS = {"actor", "user", "by", "leader"}


def _functions(name: str):
    module = importlib.import_module(name)
    for fname, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ == name and fname != "visible_to":
            yield fname, fn


@pytest.mark.parametrize("name", SERVICES)
def test_users_are_typed(name):
    untyped = [
        f"{fname}({p.name})"
        for fname, fn in _functions(name)
        for p in inspect.signature(fn).parameters.values()
        if p.name in USERS and p.annotation in ("Any", "Any | None", inspect.Parameter.empty)
    ]
    assert untyped == []


@pytest.mark.parametrize("name", SERVICES)
def test_public_services_take_the_actor_by_keyword(name):
    positional = []
    for fname, fn in _functions(name):
        if fname.startswith("_"):
            continue
        params = list(inspect.signature(fn).parameters.values())
        for i, p in enumerate(params):
            if p.name in {"actor", "by"} and i > 0 and p.kind is not p.KEYWORD_ONLY:
                positional.append(f"{fname}({p.name})")
    assert positional == []
