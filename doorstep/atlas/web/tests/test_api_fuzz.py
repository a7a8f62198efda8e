"""Property-based fuzzing of the JSON API from its own OpenAPI document (schemathesis).

For every operation, schemathesis generates requests from the document — data that fits it
and data that does not — and sends them, with a community officer's bearer token, to the
WSGI application inside the test's transaction. Each answer must be no server error; data
that breaks the document must be refused with a 4xx; and a documented answer must match its
documented schema and content type.

Random ids almost never name a row, so positive cases have their `{id}` (and the body's
`household` / `building`) swapped, most of the time, for an object of the persona world.

The document declares every error answer an operation gives (400/401/403/404/409/413/422,
core.api_errors), so the status-code check runs too: an undeclared status fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from doorstep.accounts.tokens import issue_token

EXAMPLES = 20  # per operation and generation mode: bounded so the file runs in well under 2 min


def _invalid_part_never_sent(case: Any) -> bool:
    """Negative cases whose invalid part cannot reach the server: a query value that is an
    object or an empty array (the query string drops it or spreads it under other names), or
    a mutated Authorization header (replaced by the real token on every call)."""
    assert case.meta is not None
    negated = {loc for loc, info in case.meta.components.items() if info.mode.is_negative}
    if negated == {ParameterLocation.HEADER}:
        return True
    if not negated <= {ParameterLocation.QUERY, ParameterLocation.HEADER}:
        return False
    return any(isinstance(v, dict) or v == [] for v in (case.query or {}).values())


def rejects_invalid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's negative_data_rejection, less the cases above (false alarms)."""
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative and _invalid_part_never_sent(case):
        return None
    return negative_data_rejection(ctx, response, case)


def accepts_valid_data_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Data that fits the document is never refused as malformed (422). It may still be
    refused on its merits (400: a bad check digit, a household out of scope) or be missing
    (404): schemathesis's positive_data_acceptance would flag those, so it is not used."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code != 422, (
            f"document-valid data refused as malformed: {response.text[:500]}"
        )
    return None


CHECKS = [
    not_a_server_error,
    rejects_invalid_data,
    accepts_valid_data_shape,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is never a flake
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure as is
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@pytest.fixture
def _one_connection() -> Iterator[None]:
    """The real WSGI handler closes "old" connections around each request; inside the test's
    transaction that would drop it. Django's test client detaches these receivers likewise."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schema(_one_connection: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _known_ids(world: Any) -> dict[str, list[int]]:
    """The persona world's rows, by the collection an id names."""
    w = world
    orgs = [w.street, w.community_1, w.community_2, w.grid_a, w.grid_b, w.grid_c, w.branch_a]
    households = [w.household_a, w.household_a2, w.household_b, w.household_c]
    return {
        "organisations": [o.pk for o in orgs],
        "buildings": [b.pk for b in (w.building_a, w.building_b, w.building_c)],
        "households": [h.pk for h in households],
        "residents": [r.pk for r in (w.planted, w.member.resident, w.resident_b, w.resident_c)],
        "party-members": [w.member.pk],
    }


def _cases(operation: Any, mode: GenerationMode, known: dict[str, list[int]]) -> Any:
    """The operation's cases; positive ones mostly aimed at rows that exist."""
    cases = operation.as_strategy(generation_mode=mode)
    if not mode.is_positive:
        return cases
    collection = operation.path.split("/")[2]  # /api/<collection>/...

    def pick(ids: list[int]) -> Any:
        return st.one_of(st.none(), st.sampled_from(ids), st.sampled_from(ids))

    def aim(drawn: tuple[Any, Any, Any, Any]) -> Any:
        case, path_id, household, building = drawn
        if path_id is not None and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = path_id
        if isinstance(case.body, dict):
            if household is not None and "household" in case.body:
                case.body["household"] = household
            if building is not None and "building" in case.body:
                case.body["building"] = building
        return case

    path_ids = known.get(collection, [1])
    return st.tuples(
        cases, pick(path_ids), pick(known["households"]), pick(known["buildings"])
    ).map(aim)


def test_the_document_lists_every_operation(schema):
    from config.api import api

    document = api.get_openapi_schema()
    expected = sum(len(methods) for methods in document["paths"].values())
    labels = sorted(op.label for op in _operations(schema))
    assert len(labels) == expected >= 17, labels


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_every_operation_finds_no_server_error_or_schema_mismatch(world, schema, mode):
    secret = issue_token(user=world.personas["community_officer"], name="fuzz", actor=None)
    headers = {"Authorization": f"Bearer {secret}"}
    known = _known_ids(world)
    failures: list[str] = []
    for operation in _operations(schema):

        @FUZZ_SETTINGS
        @given(case=_cases(operation, mode, known))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)


def test_every_operation_declares_its_error_answers():
    """Finding 8: the document declared no error response; clients (and schemathesis)
    could not know the API answers 400/403/404/409/422 with a JSON error body."""
    from config.api import api

    document = api.get_openapi_schema()
    assert "Error" in document["components"]["schemas"]
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            wanted = {"400", "401", "403", "404", "422"}
            if method != "get":
                wanted |= {"409", "413"}
            lacking = wanted - set(operation["responses"])
            if lacking:
                missing.append((method, path, sorted(lacking)))
    assert missing == []
