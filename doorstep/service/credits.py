"""Hours and points for what happened in cases and activities: the consumers of their
append-only event logs (`cases.CaseEvent`, `activities.AttendanceEvent`).

Eventual, not same-transaction: a case closes and is rated whatever happens here; the
credit follows after the commit (core.events: a Celery task in production, run right after
the commit on the embedded default, and by the periodic catch-up in both). Each event is
handled exactly once (core.events.consume); the grants are keyed by their source as well
(`case:<id>:<seq>`, `activity:<id>`), so the ledger could not pay twice even if it were
handled twice.

- A case reaching 已办结 by a closing move credits whoever led it as a person (a claim
  from the pool or a dispatch to them): verified hours, the claim-and-resolve points, and
  the 满意 bonus when the resident said so at that rating. A claim released or a case
  reopened before closure never got here, so it earns nothing.
- A closed case reopened on review (`reopen_closed`) takes back what its earlier closures
  earned, with ledger lines; events are handled in order, so the closure comes first.
- A volunteer checked out of an activity earns its hours and points.
"""

from __future__ import annotations

from doorstep.cases.models import Assignment, AssignmentRole, AssignmentState, CaseEvent, Rating
from doorstep.cases.workflow import S
from doorstep.core.events import consume
from doorstep.nearby.activities.models import AttendanceEvent

from . import ledger, records
from .models import RuleCode

CLOSING_MOVES = ("rate", "verify_close", "expire_rating")
CASE_CONSUMER = "service.case_credits"
ACTIVITY_CONSUMER = "service.activity_credits"


def credit_cases() -> int:
    """Handle the case events not handled yet; returns how many."""
    relevant = CaseEvent.objects.filter(move__in=(*CLOSING_MOVES, "reopen_closed"))
    return consume(
        CASE_CONSUMER, relevant.select_related("case", "case__territory"), credit_case_event
    )


def credit_activities() -> int:
    """Handle the check-outs not handled yet; returns how many."""
    relevant = AttendanceEvent.objects.filter(kind=AttendanceEvent.Kind.CHECKED_OUT)
    return consume(
        ACTIVITY_CONSUMER,
        relevant.select_related("signup__user", "signup__activity__territory"),
        credit_check_out,
    )


def credit_case_event(event: CaseEvent) -> None:
    """What one case event earns or takes back."""
    case = event.case
    if event.move == "reopen_closed":
        records.reverse_case(case, actor=event.actor)
        return
    if event.to_status != S.CLOSED or event.move not in CLOSING_MOVES:
        return
    leads = (
        Assignment.objects.filter(
            case=case,
            role=AssignmentRole.LEAD,
            state=AssignmentState.DONE,
            # those ended by this closure: an earlier lead, done at a closure that was
            # reopened since, has had its points taken back and earns nothing now
            ended_at=event.at,
            user__isnull=False,
            via__in=("claim", "dispatch"),
        )
        .select_related("user")
        .order_by("id")
    )
    source = f"case:{case.pk}:{event.seq}"
    satisfied = (event.data or {}).get("rating") == Rating.SATISFIED
    for assignment in leads:
        user = assignment.user
        if user is None:  # filtered out above
            continue
        if records.from_case(case, user=user, closed_at=event.at, seq=event.seq) is None:
            continue
        ledger.grant(
            user=user, code=RuleCode.CASE_RESOLVED, source=source, organisation=case.territory
        )
        if satisfied:
            ledger.grant(
                user=user,
                code=RuleCode.CASE_SATISFIED,
                source=source,
                organisation=case.territory,
            )


def credit_check_out(event: AttendanceEvent) -> None:
    """A volunteer's hours and points for an activity they checked out of."""
    signup = event.signup
    record = records.from_activity(signup)
    if record is None:
        return
    ledger.grant(
        user=signup.user,
        code=RuleCode.ACTIVITY_SERVED,
        source=f"activity:{signup.activity_id}",
        organisation=signup.activity.territory,
    )
