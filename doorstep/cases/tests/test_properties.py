"""Property-based tests: random sequences of moves by random personas never break the
case invariants (hypothesis).

Each example files a handful of cases (a resident's request, a micro-wish, a grid worker's
patrol draft, a hotline order with only a phone number) and then makes random moves on them
— half the time one the workflow offers the persona, half the time any move at all — with
plausible (and sometimes bad) parameters. After every step the invariants below are checked;
at the end the rollup rows must equal a recount from the events. Each example runs in a
savepoint that is rolled back, so examples do not see each other.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from doorstep.cases import category_rollups, rollups, services
from doorstep.cases.errors import CaseError, Conflict, NotAllowed
from doorstep.cases.locating import Location, locate
from doorstep.cases.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentRole,
    Case,
    CaseEvent,
    CaseKind,
    Extension,
    Rollup,
    Source,
    Summons,
)
from doorstep.cases.rates import RATES, rates_for
from doorstep.cases.workflow import MOVES, MOVES_BY_CODE, OPEN, S, why_not

pytestmark = pytest.mark.django_db

PERSONAS = (
    "resident",
    "grid_worker_a",
    "grid_worker_b",
    "grid_leader_a",
    "community_officer",
    "street_officer",
    "party_member",
    "volunteer",
    "liaison_city",
    "liaison_housing",
    "outsider",
    "system",  # the deadline sweep: no user, system=True
)
CODES = tuple(m.code for m in MOVES)


def png() -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 120, 30)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


# ---------------------------------------------------------------- the cases of one example


def file_cases(cw: Any) -> list[int]:
    p, w = cw.personas, cw.world
    request = services.create_case(
        actor=p["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=w.building_a),
    )
    wish = services.create_case(
        actor=p["resident"],
        category=cw.wish,
        description="想要一台助行器",
        kind=CaseKind.MICRO_WISH,
        location=locate(building=w.building_b),
    )
    patrol = services.create_case(
        actor=p["grid_worker_a"],
        category=cw.hazard,
        description="井盖缺失",
        kind=CaseKind.PATROL,
        source=Source.PATROL,
        location=locate(building=w.building_a),
        draft=True,
    )
    hotline = services.create_case(
        actor=None,
        category=cw.repair,
        description="12345来电：屋顶漏水",
        kind=CaseKind.HOTLINE,
        source=Source.HOTLINE,
        location=Location(territory=w.grid_c, address="二里庄3号楼"),
        contact_phone="13900001111",
        accepted=True,
        external_no=None,
    )
    return [request.pk, wish.pk, patrol.pk, hotline.pk]


# ---------------------------------------------------------------- parameters for a move


def params_for(code: str, cw: Any, case: Case, others: list[int], k: int) -> dict[str, Any]:
    """Plausible parameters for a move; some choices of k are deliberately bad."""
    p, w = cw.personas, cw.world
    out: dict[str, Any] = {}
    move = MOVES_BY_CODE[code]
    if move.needs_note or code in ("resolve", "self_handle"):
        out["note"] = "" if k % 7 == 6 else "处理说明"
    if code == "self_handle" and k % 5 != 4:
        out["photos"] = [png()]
    if code == "resolve" and k % 3 == 0:
        out["photos"] = [png()]
    if code == "accept" and k % 4 == 1:
        out["urgency"] = ("urgent", "pressing", "ordinary", "bogus")[k // 4 % 4]
    if code == "dispatch":
        leads = [
            w.grid_a,
            w.grid_b,
            cw.dept_city,
            p["party_member"],
            p["volunteer"],
            w.community_1,
            p["outsider"],  # may not handle cases
            w.street,  # not a unit one dispatches to
        ]
        out["lead"] = leads[k % len(leads)]
        if k % 3 == 1:
            out["co"] = [cw.dept_housing]
        elif k % 3 == 2:
            out["co"] = [out["lead"]]  # duplicate: refused
    if code == "set_handlers":
        active_co = list(
            case.assignments.filter(state__in=ACTIVE_ASSIGNMENT, role=AssignmentRole.CO)
        )
        choice = k % 4
        if choice == 0:
            out["add_co"] = [cw.dept_housing]
        elif choice == 1:
            out["add_co"] = [p["volunteer"]]
        elif choice == 2 and active_co:
            out["remove"] = [active_co[0].pk]
        else:
            out["remove"] = [999999]  # not an active co-handler: refused
    if code == "request_extension":
        out["amount"] = (1, 2, 0, 45)[k % 4]
        out["unit"] = ("workdays", "hours", "workdays", "fortnights")[k // 4 % 4]
    if code in ("rate", "reopen"):
        ratings = ("satisfied", "basic", "unsatisfied", "meh")
        out["rating"] = "unsatisfied" if code == "reopen" and k % 2 else ratings[k % 4]
        out["solved"] = (True, False, None)[k % 3] if k % 5 else False
        out["comment"] = "谢谢"
    if code == "merge":
        candidates = [c for c in others if c != case.pk]
        out["target"] = Case.objects.get(pk=candidates[k % len(candidates)]) if k % 4 else case
    if code == "whistle":
        sets = [[cw.dept_city], [cw.dept_city, cw.dept_housing], [cw.dept_housing], []]
        out["departments"] = sets[k % len(sets)]
    if code == "evaluate":
        pending = list(Summons.objects.filter(whistle__case=case, score__isnull=True))
        out["scores"] = {s.pk: ((k % 6) or 3, "") for s in pending} if k % 5 else {}
    return out


# ---------------------------------------------------------------- what must always hold


def snapshot(case_id: int) -> tuple:
    case = Case.objects.get(pk=case_id)
    return (
        tuple(getattr(case, f) for f in ("version", "status", "owner_id", "due_at", "paused_at")),
        CaseEvent.objects.filter(case_id=case_id).count(),
        tuple(Assignment.objects.filter(case_id=case_id).order_by("pk").values_list("pk", "state")),
        tuple(Extension.objects.filter(case_id=case_id).order_by("pk").values_list("pk", "state")),
        tuple(
            Summons.objects.filter(whistle__case_id=case_id)
            .order_by("pk")
            .values_list("pk", "reported_at", "score")
        ),
        tuple(Rollup.objects.order_by("organisation_id", "day").values_list()),
    )


def has_rater(case: Case) -> bool:
    return case.kind != CaseKind.PATROL and bool(case.reporter_id or case.contact_phone)


def check_invariants(case_id: int) -> None:
    case = Case.objects.get(pk=case_id)
    events = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, case.version + 1))
    assert events[-1].to_status == case.status
    for prev, nxt in zip(events, events[1:], strict=False):
        assert nxt.from_status == prev.to_status, (prev.move, nxt.move)
    active = case.assignments.filter(state__in=ACTIVE_ASSIGNMENT)
    assert active.filter(role=AssignmentRole.LEAD).count() <= 1
    if case.status in (S.CLOSED, S.ARCHIVED):
        assert case.resolution.strip(), "closed without a resolution"
        assert case.closed_at is not None
        assert not active.exists(), "closed with someone still holding it"
    if case.status == S.ARCHIVED:
        assert case.rating or case.rating_expired or not has_rater(case)
        assert case.archived_at is not None
    if case.status == S.PENDING_RATING:
        assert case.rating_due_at is not None
        assert has_rater(case)
    if case.status == S.SUSPENDED:
        assert case.paused_at is not None
    if case.status == S.CANCELLED:
        assert not active.exists()
    if case.status == S.POOL:
        # Co-handlers the dispatcher added may stay when a claimer releases; a lead may not.
        assert not active.filter(role=AssignmentRole.LEAD).exists(), "pool case has a lead"
    if (
        case.status in (S.SIGNED, S.IN_PROGRESS, S.SUSPENDED)
        and not active.filter(role=AssignmentRole.LEAD).exists()
    ):
        # Handling without a lead only happens after a whistle made every summoned
        # department a co-handler of an existing lead that has since gone; never otherwise.
        assert case.whistles.exists(), f"{case.status} with no lead"
    if case.status in OPEN and case.status != S.DRAFT:
        assert case.submitted_at is not None
    if case.status not in (S.DRAFT, S.SUBMITTED, S.NEEDS_INFO, S.CANCELLED):
        assert case.accepted_at is not None
    assert case.owner_path == case.owner.path


# ---------------------------------------------------------------- the property

# Moves that end a case early (or only notify): drawn less often so cases get far.
ENDINGS = frozenset({"withdraw", "cancel", "merge", "urge", "supervise"})
# The usual path from filing to the archive.
HAPPY = frozenset(
    {
        "submit",
        "self_handle",
        "accept",
        "supplement",
        "dispatch",
        "publish",
        "claim",
        "sign",
        "start",
        "resume",
        "report_in",
        "resolve",
        "verify",
        "verify_close",
        "rate",
        "expire_rating",
        "archive",
    }
)


def offered_moves(case: Case, actor: Any, who: str) -> set[str]:
    if who == "system":
        facts = services.facts_for(case, None, system=True)
        return {m.code for m in MOVES if why_not(m, facts) is None}
    return {m.code for m in services.moves_for(case, actor)}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_moves_never_break_the_invariants(cw, data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    personas = cw.personas
    with transaction.atomic():
        case_ids = file_cases(cw)
        for cid in case_ids:
            check_invariants(cid)
        steps = data.draw(st.integers(min_value=5, max_value=40), label="steps")
        for _ in range(steps):
            cid = data.draw(st.sampled_from(case_ids), label="case")
            case = Case.objects.select_related("owner", "owner__parent", "category").get(pk=cid)
            offered_to = {name: offered_moves(case, personas.get(name), name) for name in PERSONAS}
            mode = data.draw(st.integers(min_value=0, max_value=9), label="mode")
            options = sorted((name, code) for name, codes in offered_to.items() for code in codes)
            forward = [o for o in options if o[1] not in ENDINGS]
            happy = [o for o in forward if o[1] in HAPPY]
            if mode < 4 and happy:  # mostly along the usual path, so cases get far
                who, code = data.draw(st.sampled_from(happy), label="offered move")
            elif mode < 6 and forward:  # or any offered move that keeps the case going
                who, code = data.draw(st.sampled_from(forward), label="offered move")
            elif mode < 8 and options:  # sometimes: any offered move, endings included
                who, code = data.draw(st.sampled_from(options), label="offered move")
            else:  # and sometimes anyone trying anything
                who = data.draw(st.sampled_from(PERSONAS), label="persona")
                code = data.draw(st.sampled_from(CODES), label="move")
            actor = personas.get(who)
            offered = offered_to[who]
            k = data.draw(st.integers(min_value=0, max_value=59), label="params")
            params = params_for(code, cw, case, case_ids, k)
            stale = data.draw(st.integers(min_value=0, max_value=9), label="stale") == 0
            if stale:
                params["expected_version"] = case.version - 1
            before = snapshot(cid)
            try:
                services.perform(cid, code, actor=actor, system=who == "system", **params)
            except CaseError as exc:
                assert snapshot(cid) == before, f"{code} by {who} failed but wrote: {exc}"
                if stale:
                    assert isinstance(exc, Conflict)
                elif code in offered:
                    # Offered moves may only fail on their parameters, never on who/when.
                    assert not isinstance(exc, NotAllowed), (code, who, exc.message)
                    assert "当前状态" not in exc.message, (code, who, exc.message)
                if code not in offered and not stale:
                    # Anything not offered is refused for who/when reasons, not parameters.
                    assert isinstance(exc, NotAllowed | Conflict), (code, who, exc.message)
            else:
                assert not stale, "a stale form went through"
                assert code in offered, f"{who} made {code}, which was not offered"
                after = Case.objects.get(pk=cid)
                assert after.version == case.version + 1
                last = CaseEvent.objects.filter(case_id=cid).order_by("-seq").first()
                assert last is not None and last.move == code
            check_invariants(cid)
        for status in set(
            CaseEvent.objects.filter(case_id__in=case_ids).values_list("to_status", flat=True)
        ):
            event(f"reached {status}")  # see --hypothesis-show-statistics
        assert rollups.stored() == rollups.recount_from_events()
        assert category_rollups.stored() == category_rollups.recount_from_events()
        for org in (cw.world.street, cw.world.community_1, cw.world.grid_a):
            shown = rates_for(org, timezone.localdate(), timezone.localdate())
            expected = rates_by_hand(org)
            for code in RATES:
                value = shown[code]
                assert value is None or 0 <= value <= 1, (org, code, value)
                assert value == expected[code], (org, code, value, expected[code])
            assert shown["received"] == expected["received"]
            assert shown["closed_late"] == expected["closed_late"]
            overdue_now = Case.objects.overdue().filter(territory_path__startswith=org.path)
            assert not overdue_now.exclude(status__in=OPEN).exists()
        transaction.set_rollback(True)


def rates_by_hand(org: Any) -> dict[str, Any]:
    """Every rate of `cases.rates.RATES` for today's cohort under `org`, recounted case by
    case from the events and the case's status, without the tally: the oracle."""
    from doorstep.cases.rates import ratio

    n: dict[str, int] = {}

    def count(name: str, yes: bool = True) -> None:
        n[name] = n.get(name, 0) + int(bool(yes))

    today = timezone.localdate()
    under = Case.objects.filter(territory_path__startswith=org.path).exclude(status=S.CANCELLED)
    for case in under:
        events = list(case.events.order_by("seq"))
        received = [e for e in events if (e.data or {}).get("received")]
        if not received or timezone.localtime(received[0].at).date() != today:
            continue
        moves = [e.move for e in events]
        closed = case.status in (S.CLOSED, S.ARCHIVED)
        closings = [e for e in events if (e.data or {}).get("closing")]
        dispatched = any(m in ("dispatch", "publish") for m in moves)
        resolved = any(m in ("resolve", "self_handle") for m in moves) or bool(closings)
        ratings = [e.data["rating"] for e in events if e.move in ("rate", "reopen")]
        solved = [e.data["solved"] for e in events if e.move in ("rate", "reopen")]
        signs = [e for e in events if e.move in ("sign", "claim")]
        count("received")
        count("closed", closed)
        count("closed_on_time", closed and closings[-1].data.get("on_time_close"))
        count("signed", False)
        n["signed"] += len(signs)
        count("signed_on_time", False)
        n["signed_on_time"] += sum(1 for e in signs if e.data.get("on_time"))
        count("dispatched", dispatched)
        count("returned", dispatched and "return" in moves)
        count("resolved", resolved)
        count("reopened", resolved and any(m in ("reopen", "reopen_closed") for m in moves))
        count("rated", bool(ratings))
        count("good", bool(ratings) and ratings[-1] in ("satisfied", "basic"))
        count("solved", bool(ratings) and solved[-1])
        count("responded", any((e.data or {}).get("first_response") for e in events))
    g = n.get
    return {
        "received": g("received", 0),
        "closed_late": g("closed", 0) - g("closed_on_time", 0),
        "closing_rate": ratio(g("closed", 0), g("received", 0)),
        "on_time_rate": ratio(g("closed_on_time", 0), g("closed", 0)),
        "timely_sign_rate": ratio(g("signed_on_time", 0), g("signed", 0)),
        "return_rate": ratio(g("returned", 0), g("dispatched", 0)),
        "reopen_rate": ratio(g("reopened", 0), g("resolved", 0)),
        "satisfaction_rate": ratio(g("good", 0), g("rated", 0)),
        "response_rate": ratio(g("responded", 0), g("received", 0)),
        "solve_rate": ratio(g("solved", 0), g("rated", 0)),
    }


@pytest.mark.parametrize("code", [m.code for m in MOVES])
def test_moves_not_offered_are_refused_as_not_allowed_or_conflict(cw, code):
    """Deterministic companion: on a fresh submitted case, every move the outsider, the
    resident and the party member are not offered is refused with NotAllowed/Conflict."""
    p = cw.personas
    case = services.create_case(
        actor=p["resident"],
        category=cw.repair,
        description="门禁坏了",
        location=locate(building=cw.world.building_a),
    )
    for who in ("outsider", "resident", "party_member", "liaison_city"):
        offered = {m.code for m in services.moves_for(case, p[who])}
        if code in offered:
            continue
        with pytest.raises((NotAllowed, Conflict)):
            services.perform(case, code, actor=p[who], note="说明")
    assert Case.objects.get(pk=case.pk).version == 1


@pytest.mark.parametrize(
    "perm", [None, "cases.receive_case", "cases.dispatch_case", "cases.whistle_case"]
)
def test_staff_of_agrees_with_has_perm_for_every_organisation(cw, perm):
    """staff_of answers in one query what asking has_perm() member by member would."""
    from django.contrib.auth.models import Permission

    from doorstep.accounts.models import Membership
    from doorstep.atlas.organisations.models import Organisation
    from doorstep.core.testing import make_user

    w = cw.world
    gone = make_user("gone", "离职干部", ("community_staff", w.community_1))
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    direct = make_user("direct", "单独授权", ("resident", w.community_1))
    direct.user_permissions.add(Permission.objects.get(codename="receive_case"))
    for org in Organisation.objects.all():
        expected = sorted(
            {
                m.user_id
                for m in Membership.objects.active().filter(organisation=org).select_related("user")
                if m.user.is_active and (perm is None or m.user.has_perm(perm))
            }
        )
        assert services.staff_of(org, perm) == expected, org.name
    assert services.staff_of(w.community_1, "cases.receive_case") == sorted(
        [cw.personas["community_officer"].pk, direct.pk]
    )
