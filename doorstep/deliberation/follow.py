"""How a resolution's action ends, read from the lower domains' append-only event logs
(idempotent consumers, `core.events.consume`; never signals): a project that passes
inspection (验收通过) or a case that closes marks its resolution done, and tells the
resident whose visit to a deputy became that case; a closed case reopened after a return
visit takes both back. A need's end is the need's own
`met_at` (`resolutions.state_of`)."""

from __future__ import annotations

from typing import Any

from doorstep.core import audit
from doorstep.core.events import consume

from .models import ReceptionVisit, Resolution

PROJECT_CONSUMER = "deliberation.resolution_projects"
CASE_CONSUMER = "deliberation.resolution_cases"
CASE_CLOSING = ("rate", "verify_close", "expire_rating")


def follow_projects() -> int:
    from doorstep.cogov.models import ProjectEvent

    relevant = ProjectEvent.objects.filter(move="pass")
    return consume(PROJECT_CONSUMER, relevant, follow_project_event)


def follow_project_event(event: Any) -> None:
    _mark(Resolution.objects.filter(project_id=event.project_id), event.at)


def follow_cases() -> int:
    from doorstep.cases.models import CaseEvent

    relevant = CaseEvent.objects.filter(move__in=(*CASE_CLOSING, "reopen_closed"))
    return consume(CASE_CONSUMER, relevant, follow_case_event)


def follow_case_event(event: Any) -> None:
    found = Resolution.objects.filter(case_id=event.case_id)
    if event.move == "reopen_closed":
        _mark(found, None)
    elif event.to_status == "closed":
        _mark(found, event.at)
    _tell_visitors(event)


def _tell_visitors(event: Any) -> None:
    """A reception's case closed (the visitor is told) or reopened (taken back)."""
    from .receptions import tell

    for visit in ReceptionVisit.objects.select_for_update().filter(case_id=event.case_id):
        if event.move == "reopen_closed" and visit.outcome_at is not None:
            tell(visit, "", None)
        elif event.to_status == "closed" and visit.outcome_at is None:
            note = (event.note or "").strip()
            tell(visit, f"已办结。{note}" if note else "已办结。", event.at)


def _mark(found: Any, at: Any) -> None:
    for resolution in found.select_for_update():
        if (resolution.done_at is None) == (at is None):
            continue
        resolution.done_at = at
        resolution.save(update_fields=["done_at"])
        audit.record(
            actor=None, action="update", target=resolution, detail={"done": at is not None}
        )
