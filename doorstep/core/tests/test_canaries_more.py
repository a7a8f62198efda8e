"""The canary walk, continued (see test_canaries.py): the second half of the personas
out of scope, and everyone in scope. A file of its own so that a second worker takes it."""

from __future__ import annotations

import pytest

from .test_canaries import (
    CANARY_ID,
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_ROOM,
    SEES_THE_CANARY,
    UNMASK,
    _leaks,
    out_of_scope_half,
    planted,  # noqa: F401 (the fixture)
    walk,
)

pytestmark = pytest.mark.django_db


@pytest.mark.walk
def test_no_persona_out_of_scope_sees_a_canary_anywhere_either(planted, cw, client):  # noqa: F811
    ids, numbers = planted
    found = walk(client, cw, ids, numbers, personas=out_of_scope_half(cw, 1))
    assert found == [], "\n".join(map(str, found))


# The canary's birth date in the forms a page, an export or a JSON body could give it.
BIRTH = ("1977-03-03", "19770303", "1977年3月3日", "1977年03月03日", "1977/03/03")


@pytest.mark.walk
def test_those_in_scope_get_neither_number_nor_birth_date_outside_what_they_may_unmask(
    planted,  # noqa: F811
    cw,
    client,
    caplog,
):
    """One walk as everyone who sees the canary:

    - none gets the full ID number outside the two audited ways to it: the unmask, and
      the export for a role that may unmask (its audit entry is tested with the exporter);
    - those who may not unmask get no page, API answer, export or log line giving the
      birth date (with it, the mask left ~2 candidates) or the number, and the number
      itself is no oracle: writing it elsewhere answers as for any number in their scope,
      or generically."""
    import logging

    from doorstep.atlas.people import conflicts

    caplog.set_level(logging.DEBUG)
    ids, numbers = planted
    may_unmask = {
        p for p in SEES_THE_CANARY if cw.personas[p].has_perm("people.unmask_personal_data")
    }
    blind = SEES_THE_CANARY - may_unmask
    assert {"grid_worker_a", "street_officer"} <= blind and may_unmask
    found = walk(
        client, cw, ids, numbers, personas=sorted(SEES_THE_CANARY), canaries=(CANARY_ID, *BIRTH)
    )
    wrong = [
        f
        for f in found
        if f[0] in blind
        or (CANARY_ID in f[3] and UNMASK not in f[1] and not f[1].startswith("/ledger/export/"))
    ]
    assert wrong == [], "\n".join(map(str, wrong))
    # The oracle: another resident's number set to the canary's.
    for persona, home in (
        ("grid_worker_a", cw.world.planted),
        ("grid_worker_b", cw.world.resident_b),
    ):
        client.force_login(cw.personas[persona])
        answer = client.patch(
            f"/api/residents/{home.pk}",
            f'{{"id_card": "{CANARY_ID}"}}',
            "application/json",
        ).content.decode()
        expected = conflicts.IN_SCOPE if persona == "grid_worker_a" else conflicts.FORWARDED
        assert expected in answer and CANARY_NAME not in answer and CANARY_ROOM not in answer
    # Whatever was logged meanwhile (the raw records, before the redacting filter).
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and _leaks(logged.encode(), (CANARY_ID, CANARY_PHONE, *BIRTH)) == []
