"""What the cockpit and the briefing show of deliberation under a node in a period, each
figure the count of a list page narrowed the same way (`narrow` below, used by both):
topics raised and answered, topics awaiting their answer, meetings held and their 人次
(sign-ins), resolutions published and carried out, 两代表一委员 reception (deputies who
received, residents received, issues raised and resolved), door-knocking (knocks and the
households reached) and surveys (responses and the suggestions written in them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation

from .models import (
    Meeting,
    QuestionKind,
    ReceptionVisit,
    Resolution,
    Response,
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
    return rows.filter(within(field, start, end))


def within(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    """`field` (a moment) falls on days `start`…`end`: what `narrow` keeps, as a condition
    a figure can count with (several figures of one table then take one query)."""
    since, until = span(start, end)
    q = Q()
    if since is not None:
        q &= Q(**{f"{field}__gte": since})
    if until is not None:
        q &= Q(**{f"{field}__lt": until})
    return q


def deliberation(org: Organisation, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Each figure counts what `narrow` keeps on its list page; the figures of one table
    are conditional counts of one query."""
    topics = (
        Topic.objects.outside_door(WHY)
        .filter(path__startswith=org.path)
        .aggregate(
            topics_raised=Count("pk", filter=within("created_at", start, end)),
            topics_answered=Count("pk", filter=within("answered_at", start, end)),
            topics_awaiting=Count(
                "pk", filter=Q(status=TopicStatus.OPEN, answer_due__isnull=False)
            ),
        )
    )
    meetings = narrow(Meeting.objects.outside_door(WHY), "starts_at", org, start, end)
    held = meetings.aggregate(meetings=Count("pk", distinct=True), attendance=Count("sign_ins"))
    resolutions = (
        Resolution.objects.outside_door(WHY)
        .filter(path__startswith=org.path)
        .aggregate(
            resolutions=Count("pk", filter=within("published_at", start, end)),
            resolutions_acted=Count("pk", filter=within("acted_at", start, end)),
        )
    )
    return {
        **topics,
        **held,
        **resolutions,
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
    if org is not None:
        visits = visits.filter(path__startswith=org.path)
    seen = within("at", start, end)
    return visits.aggregate(
        deputies_received=Count("deputy", distinct=True, filter=seen),
        residents_received=Count("pk", filter=seen),
        issues_raised=Count("pk", filter=within("recorded_at", start, end)),
        issues_resolved=Count("pk", filter=within("outcome_at", start, end)),
    )


def knocks(org: Organisation, start: dt.date | None, end: dt.date | None) -> dict[str, int]:
    """Door-knocking visits (敲门行动) under the node on days `start`…`end`."""
    from doorstep.service.models import Visit, VisitKind

    visits = Visit.objects.outside_door(WHY).filter(kind=VisitKind.KNOCK, path__startswith=org.path)
    if start is not None:
        visits = visits.filter(visited_on__gte=start)
    if end is not None:
        visits = visits.filter(visited_on__lte=end)
    return visits.aggregate(
        knock_visits=Count("pk"), knock_households=Count("household", distinct=True)
    )


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
    """The responses, and the suggestions written in them (a text answer not left empty)."""
    written = Q(answers__question__kind=QuestionKind.TEXT, answers__text__gt="")
    return responses_under(org, start, end).aggregate(
        survey_responses=Count("pk", distinct=True),
        survey_suggestions=Count("answers", filter=written),
    )
