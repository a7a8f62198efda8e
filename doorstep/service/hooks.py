"""Hours and points follow what happens in cases and activities (signal receivers).

A case reaching 已办结 credits whoever led it as a person (a claim from the pool or a
dispatch to them): verified hours, the claim-and-resolve points, and the 满意 bonus when
the resident said so. A claim released or a case reopened before closure never got here,
so it earns nothing. A closed case reopened on review takes its points back with ledger
lines. A volunteer checked out of an activity earns its hours and points."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from doorstep.activities.signals import volunteer_checked_out
from doorstep.cases.models import Assignment, AssignmentRole, AssignmentState, Rating
from doorstep.cases.signals import case_moved
from doorstep.cases.workflow import S

from . import ledger, records
from .models import RuleCode

CLOSING_MOVES = ("rate", "verify_close", "expire_rating")


@receiver(case_moved, dispatch_uid="service.case_moved")
def _on_case_moved(sender: Any, case: Any, event: Any, actor: Any, **_: Any) -> None:
    if event.move == "reopen_closed":
        records.reverse_case(case, actor)
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
    for assignment in leads:
        user = assignment.user
        if records.from_case(case, user, event.at, event.seq) is None:
            continue
        ledger.grant(
            user=user, code=RuleCode.CASE_RESOLVED, source=source, organisation=case.territory
        )
        if case.rating == Rating.SATISFIED:
            ledger.grant(
                user=user,
                code=RuleCode.CASE_SATISFIED,
                source=source,
                organisation=case.territory,
            )


@receiver(volunteer_checked_out, dispatch_uid="service.volunteer_checked_out")
def _on_checked_out(sender: Any, signup: Any, **_: Any) -> None:
    record = records.from_activity(signup)
    if record is None:
        return
    ledger.grant(
        user=signup.user,
        code=RuleCode.ACTIVITY_SERVED,
        source=f"activity:{signup.activity_id}",
        organisation=signup.activity.territory,
    )
