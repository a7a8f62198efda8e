"""What the cockpit and the briefing show of deliberation under a node in a period, each
figure the count of a list page narrowed the same way (`narrow` below, used by both):
topics raised and answered, topics awaiting their answer, meetings held and their 人次
(sign-ins), resolutions published and carried out, 两代表一委员 reception (deputies who
received, residents received, issues raised and resolved), door-knocking (knocks and the
households reached) and surveys (responses and the suggestions written in them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation

from .models import (
    Answer,
    Meeting,
    QuestionKind,
    ReceptionVisit,
    Resolution,
    Response,
    SignIn,
    Topic,
    TopicStatus,
    VisitStatus,
)

WHY = "the cockpit's figures over the node's subtree; each one drills to a list through the door"


def span(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[since, until) in the current time zone for days `start`…`end` (either open)."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tz) if start else None
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz) if end else None
    return since, until


def narrow(
    rows: QuerySet[Any],
    field: str,
    org: Organisation | None,
    start: dt.date | None,
    end: dt.date | None,
) -> QuerySet[Any]:
    """Rows under `org` whose `field` (a moment) falls on days `start`…`end`."""
    if org is not None:
        rows = rows.filter(path__startswith=org.path)
    since, until = span(start, end)
    if since is not None:
        rows = rows.filter(**{f"{field}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{field}__lt": until})
    return rows


def deliberation(org: Organisation, start: dt.date, end: dt.date) -> dict[str, Any]:
    topics = Topic.objects.outside_door(WHY)
    meetings = narrow(Meeting.objects.outside_door(WHY), "starts_at", org, start, end)
    resolutions = Resolution.objects.outside_door(WHY)
    return {
        "topics_raised": narrow(topics, "created_at", org, start, end).count(),
        "topics_answered": narrow(topics, "answered_at", org, start, end).count(),
        "topics_awaiting": topics.filter(
            Q(path__startswith=org.path), status=TopicStatus.OPEN, answer_due__isnull=False
        ).count(),
        "meetings": meetings.count(),
        "attendance": SignIn.objects.filter(meeting__in=meetings.values("pk")).count(),
        "resolutions": narrow(resolutions, "published_at", org, start, end).count(),
        "resolutions_acted": narrow(resolutions, "acted_at", org, start, end).count(),
        **reception(org, start, end),
        **knocks(org, start, end),
        **survey_figures(org, start, end),
    }


def received(visits: QuerySet[Any]) -> QuerySet[Any]:
    return visits.filter(status=VisitStatus.RECEIVED)


def reception(
    org: Organisation | None, start: dt.date | None, end: dt.date | None
) -> dict[str, int]:
    visits = received(ReceptionVisit.objects.outside_door(WHY))
    seen = narrow(visits, "at", org, start, end)
    return {
        "deputies_received": seen.exclude(deputy=None).values("deputy").distinct().count(),
        "residents_received": seen.count(),
        "issues_raised": narrow(visits, "recorded_at", org, start, end).count(),
        "issues_resolved": narrow(visits, "outcome_at", org, start, end).count(),
    }


def knocks(org: Organisation, start: dt.date | None, end: dt.date | None) -> dict[str, int]:
    """Door-knocking visits (敲门行动) under the node on days `start`…`end`."""
    from doorstep.service.models import Visit, VisitKind

    visits = Visit.objects.outside_door(WHY).filter(kind=VisitKind.KNOCK, path__startswith=org.path)
    if start is not None:
        visits = visits.filter(visited_on__gte=start)
    if end is not None:
        visits = visits.filter(visited_on__lte=end)
    return {
        "knock_visits": visits.count(),
        "knock_households": visits.values("household").distinct().count(),
    }


def responses_under(
    org: Organisation, start: dt.date | None, end: dt.date | None
) -> QuerySet[Response]:
    """Survey responses from the node's grids (or, without a grid, to its surveys)."""
    rows = Response.objects.filter(
        Q(grid_path__startswith=org.path) | Q(grid_path="", survey__path__startswith=org.path)
    )
    since, until = span(start, end)
    if since is not None:
        rows = rows.filter(submitted_at__gte=since)
    if until is not None:
        rows = rows.filter(submitted_at__lt=until)
    return rows


def survey_figures(org: Organisation, start: dt.date | None, end: dt.date | None) -> dict[str, int]:
    responses = responses_under(org, start, end)
    suggestions = Answer.objects.filter(
        response__in=responses.values("pk"), question__kind=QuestionKind.TEXT
    ).exclude(text="")
    return {"survey_responses": responses.count(), "survey_suggestions": suggestions.count()}
