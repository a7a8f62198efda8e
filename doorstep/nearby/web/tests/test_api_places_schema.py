"""The places API's document: unique schema names across routers, documented codes equal
to the models', and a fuzz run with real ids finding no server error."""

from __future__ import annotations

import pytest

from doorstep.atlas.web.tests.test_api_fuzz import _one_connection, schema  # noqa: F401 (fixtures)

from .api_places_helpers import _publish_direct

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("places_clock")]


def test_schema_names_are_unique_across_the_routers():
    from ninja import Schema

    from doorstep.atlas.web import schemas as atlas_schemas
    from doorstep.cases.web import schemas as desk_schemas
    from doorstep.nearby.web import api_schemas

    names: list[str] = []
    for module in (atlas_schemas, desk_schemas, api_schemas):
        names += [
            n
            for n, obj in vars(module).items()
            if isinstance(obj, type)
            and issubclass(obj, Schema)
            and obj.__module__ == module.__name__
        ]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_documented_codes_match_the_models():
    from typing import get_args

    from doorstep.nearby.activities.models import ActivityKind, Audience
    from doorstep.nearby.sites.models import BookingStatus, SiteKind
    from doorstep.nearby.web import api_schemas as s

    assert set(get_args(s.SiteKindCode)) == set(SiteKind.values)
    assert set(get_args(s.BookingStatusCode)) == set(BookingStatus.values)
    assert set(get_args(s.ActivityKindCode)) == set(ActivityKind.values)
    assert set(get_args(s.AudienceCode)) == set(Audience.values)


# --- fuzzing with rows that exist -------------------------------------------------------
# test_api_fuzz walks every operation with the persona world only, where these ids name
# nothing (404). Here the nearby operations get a site world's ids, so the fuzzer reaches
# the services (it found the non-ASCII check-in token above).


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_fuzzing_the_nearby_operations_with_real_ids_finds_no_server_error(sw, request, mode):
    from hypothesis import given
    from hypothesis import strategies as st
    from schemathesis.generation import GenerationMode

    from doorstep.accounts.tokens import issue_token
    from doorstep.atlas.web.tests.test_api_fuzz import CHECKS, FUZZ_SETTINGS

    document = request.getfixturevalue("schema")
    generation = GenerationMode(mode)
    activity = _publish_direct(sw)
    known = {
        "sites": [sw.site.pk, sw.other_site.pk],
        "rooms": [sw.room.pk],
        "activities": [activity.pk],
    }
    secret = issue_token(user=sw.p["community_officer"], name="fuzz", actor=None)
    headers = {"Authorization": f"Bearer {secret}"}
    orgs = [sw.world.community_1.pk, sw.unit.pk]
    failures: list[str] = []
    for result in document.get_all_operations():
        operation = result.ok()
        if "nearby" not in (operation.definition.raw.get("tags") or []):
            continue
        cases = operation.as_strategy(generation_mode=generation)
        if generation.is_positive:
            ids = known.get(operation.path.split("/")[2], [1])

            def aim(drawn):
                case, path_id, org = drawn
                if "id" in (case.path_parameters or {}):
                    case.path_parameters["id"] = path_id
                if isinstance(case.body, dict):
                    for name, value in (("room_id", sw.room.pk), ("organiser_id", org)):
                        if name in case.body:
                            case.body[name] = value
                    if "territory_id" in case.body:
                        case.body["territory_id"] = sw.world.community_1.pk
                return case

            cases = st.tuples(cases, st.sampled_from(ids), st.sampled_from(orgs)).map(aim)

        @FUZZ_SETTINGS
        @given(case=cases)
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)
