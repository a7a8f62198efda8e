"""The deadline sweep (时限巡检): flags, reminders (催办), escalation, rating expiry, archiving.

Run every CASE_SWEEP_MINUTES by Celery beat (task `doorstep.cases.sweep_deadlines`) or, on
the embedded default, by a thread of the web process (apps.py); `manage.py sweep_deadlines`
runs it by hand. Steps 1–2 are one short transaction; each move in steps 3–4 is its own
(`perform` is atomic), so a sweep never holds many case rows while taking rollup rows:

1. Two set-based UPDATE … RETURNING statements flag the open, running cases that became
   已超期 (due_at passed) or 将到期 (warn_at passed). The flag is not part of any form, so
   `version` is left alone: a dispatcher's open form stays valid.
2. The handlers of newly overdue cases (assigned people, staff of assigned units) and the
   owner's dispatchers get a reminder (催办); handlers of newly due-soon cases a heads-up.
   All of it goes to the inbox as one batch after commit.
3. Newly overdue cases whose category says so are escalated (上报) one level, unless the
   owner is already the street.
4. Cases whose rating window ended close by themselves; cases closed long enough ago are
   archived. Steps 3 and 4 go through `services.perform`, so they leave events, rollups and
   notifications like any other move.

Everything keys on a change of state (a flag not yet set, a status not yet left), so a
second run straight after the first finds nothing to do. Flags that must go back (an
extension approved, a case resumed) are reset by `perform` itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from doorstep.inbox.channels import Message
from doorstep.inbox.services import notify_batch

from . import services
from .calendar import TZ
from .errors import CaseError
from .models import ACTIVE_ASSIGNMENT, Assignment, Case, Flag
from .workflow import MOVES_BY_CODE, OPEN, S

log = logging.getLogger(__name__)

SYSTEM_NOTE_ESCALATE = "超期自动上报"
# A dispatcher with more newly overdue cases than this in one run gets one summary instead.
DIGEST_AFTER = 5
CHUNK = 2000  # ids per IN (…) list


@dataclass
class SweepResult:
    """What one run did (all zero on a run that found nothing new)."""

    overdue: int = 0  # cases newly flagged 已超期
    soon: int = 0  # cases newly flagged 将到期
    reminders: int = 0  # notifications queued
    escalated: int = 0
    ratings_expired: int = 0
    archived: int = 0
    skipped: int = 0  # moves the workflow refused (a case changed under the sweep); logged

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def changed(self) -> bool:
        return any(v for k, v in self.as_dict().items() if k != "skipped")

    def __str__(self) -> str:
        return (
            f"新超期 {self.overdue} 件，将到期 {self.soon} 件，发出提醒 {self.reminders} 条，"
            f"自动上报 {self.escalated} 件，评价期满办结 {self.ratings_expired} 件，"
            f"归档 {self.archived} 件" + (f"，跳过 {self.skipped} 件" if self.skipped else "")
        )


def sweep(now: dt.datetime | None = None) -> SweepResult:
    """One pass over every case. Safe to run at any time and as often as wanted."""
    now = now or timezone.now()
    result = SweepResult()
    # Flags and reminders in one short transaction; each move after it in its own (perform
    # is atomic), so the sweep never holds many case rows while it takes rollup rows.
    with transaction.atomic():
        overdue, soon = flag_cases(now)
        result.overdue, result.soon = len(overdue), len(soon)
        result.reminders = notify_batch(reminders(overdue, soon))
        to_escalate = _to_escalate(overdue)
    result.escalated, skipped = _perform_each(to_escalate, "escalate")
    result.skipped += skipped
    expiring = Case.objects.filter(status=S.PENDING_RATING, rating_due_at__lte=now)
    result.ratings_expired, skipped = _perform_each(_ids(expiring), "expire_rating")
    result.skipped += skipped
    cutoff = now - dt.timedelta(days=settings.CASE_ARCHIVE_AFTER_DAYS)
    closed = Case.objects.filter(status=S.CLOSED, closed_at__lte=cutoff)
    result.archived, skipped = _perform_each(_ids(closed), "archive")
    result.skipped += skipped
    if result.changed:
        log.info("deadline sweep: %s", result.as_dict())
    return result


# ---------------------------------------------------------------- 1. flags


@dataclass(frozen=True)
class Flagged:
    """A case the sweep has just flagged (what the reminders and escalation need)."""

    id: int
    number: str
    title: str
    status: str
    owner_id: int
    category_id: int
    due_text: str | None  # as the database wrote it; parsed only for a message

    @property
    def due_at(self) -> dt.datetime | None:
        if not self.due_text:
            return None
        at = parse_datetime(self.due_text)
        if at is not None and timezone.is_naive(at):  # SQLite keeps UTC without an offset
            at = timezone.make_aware(at, dt.UTC)
        return at


# due_at comes back as text: turning 10k timestamps into datetimes nobody reads is most of
# the cost of a large run besides the UPDATE itself.
_RETURNING = "id, number, title, status, owner_id, category_id, CAST(due_at AS TEXT)"


def _flagged(rows: Iterable[Sequence[Any]]) -> list[Flagged]:
    return sorted((Flagged(*row) for row in rows), key=lambda f: f.id)


def flag_cases(now: dt.datetime) -> tuple[list[Flagged], list[Flagged]]:
    """Flag newly overdue and newly due-soon cases, and return them (overdue, soon)."""
    table = Case._meta.db_table
    statuses = sorted(OPEN)
    marks = ", ".join(["%s"] * len(statuses))
    at = connection.ops.adapt_datetimefield_value(now)
    running = f"status IN ({marks}) AND paused_at IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET flag = %s "
            f"WHERE {running} AND due_at <= %s AND flag <> %s RETURNING {_RETURNING}",
            [Flag.OVERDUE, *statuses, at, Flag.OVERDUE],
        )
        overdue = _flagged(cursor.fetchall())
        cursor.execute(
            f"UPDATE {table} SET flag = %s WHERE {running} "
            f"AND warn_at <= %s AND due_at > %s AND flag = %s RETURNING {_RETURNING}",
            [Flag.SOON, *statuses, at, at, Flag.NORMAL],
        )
        soon = _flagged(cursor.fetchall())
    return overdue, soon


# ---------------------------------------------------------------- 2. reminders


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _assignments(case_ids: Sequence[int]) -> Iterator[tuple[int, int | None, int | None]]:
    """(case id, user id, organisation id) of the active assignments of these cases."""
    if connection.vendor == "postgresql":  # one query, the ids as one array parameter
        table = Assignment._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT case_id, user_id, organisation_id FROM {table} "
                "WHERE case_id = ANY(%s) AND state = ANY(%s)",
                [list(case_ids), list(ACTIVE_ASSIGNMENT)],
            )
            yield from cursor.fetchall()
        return
    for chunk in _chunks(case_ids):
        yield from Assignment.objects.filter(
            case_id__in=chunk, state__in=ACTIVE_ASSIGNMENT
        ).values_list("case_id", "user_id", "organisation_id")


def _holders(case_ids: Sequence[int]) -> dict[int, set[int]]:
    """{case id: user ids holding it}: assigned people, and the staff of assigned units."""
    from doorstep.accounts.models import Membership

    by_case: dict[int, set[int]] = defaultdict(set)
    org_cases: dict[int, set[int]] = defaultdict(set)
    for case_id, user_id, org_id in _assignments(case_ids):
        if user_id:
            by_case[case_id].add(user_id)
        elif org_id:
            org_cases[org_id].add(case_id)
    if org_cases:
        from .scoping import acts_for_org

        staff = (
            Membership.objects.active()
            .filter(organisation_id__in=list(org_cases), user__is_active=True)
            .filter(acts_for_org())  # the unit's handlers, not the residents of a grid
            .values_list("organisation_id", "user_id")
        )
        for org_id, user_id in staff:
            for case_id in org_cases[org_id]:
                by_case[case_id].add(user_id)
    return by_case


def _local(at: dt.datetime | None) -> str:
    return at.astimezone(TZ).strftime("%m-%d %H:%M") if at else ""


def reminders(overdue: Sequence[Flagged], soon: Sequence[Flagged]) -> list[Message]:
    """The reminders for one run: to handlers of both kinds, to dispatchers of overdue ones."""
    from doorstep.atlas.organisations.models import Organisation

    if not overdue and not soon:
        return []
    holders = _holders([c.id for c in (*overdue, *soon)])
    out: list[Message] = []
    for c in soon:
        for user_id in sorted(holders.get(c.id, ())):
            out.append(
                Message(
                    user_id,
                    "case_soon",
                    f"【将到期】{c.title}"[:200],
                    f"工单 {c.number} 将于 {_local(c.due_at)} 到期，请抓紧办理。",
                    f"/cases/{c.number}/",
                )
            )
    owners = {c.owner_id for c in overdue}
    dispatchers = {
        org.pk: services.staff_of(org, "cases.dispatch_case")
        for org in Organisation.objects.filter(pk__in=owners)
    }
    per_dispatcher: dict[int, list[Flagged]] = defaultdict(list)
    for c in overdue:
        handlers = holders.get(c.id, set())
        for user_id in sorted(handlers):
            out.append(
                Message(
                    user_id,
                    "case_overdue",
                    f"【催办】工单已超期：{c.title}"[:200],
                    f"工单 {c.number} 已超过办结期限（{_local(c.due_at)}），请尽快办理。",
                    f"/cases/{c.number}/",
                )
            )
        for user_id in dispatchers.get(c.owner_id, ()):
            if user_id not in handlers:
                per_dispatcher[user_id].append(c)
    for user_id, cases in sorted(per_dispatcher.items()):
        if len(cases) > DIGEST_AFTER:
            numbers = "、".join(c.number for c in cases[:10])
            more = "等" if len(cases) > 10 else ""
            out.append(
                Message(
                    user_id,
                    "case_overdue",
                    f"【超期提醒】新增 {len(cases)} 件超期工单",
                    f"工单 {numbers}{more}已超过办结期限，请督促承办人办理。",
                    "/cases/?flag=overdue",
                )
            )
            continue
        for c in cases:
            out.append(
                Message(
                    user_id,
                    "case_overdue",
                    f"【超期提醒】{c.title}"[:200],
                    f"工单 {c.number} 已超过办结期限（{_local(c.due_at)}），请督促承办人办理。",
                    f"/cases/{c.number}/",
                )
            )
    return out


# ---------------------------------------------------------------- 3–4. moves by the system


def _ids(qs: object) -> list[int]:
    return list(qs.order_by("pk").values_list("pk", flat=True))  # type: ignore[attr-defined]


def _to_escalate(overdue: Sequence[Flagged]) -> list[int]:
    """Newly overdue cases whose category escalates them, from a status that allows it,
    and whose owner is below the street."""
    from doorstep.atlas.organisations.models import Organisation

    from .models import Category

    sources = MOVES_BY_CODE["escalate"].sources
    candidates = [c for c in overdue if c.status in sources]
    if not candidates:
        return []
    ruled = set(
        Category.objects.filter(
            pk__in={c.category_id for c in candidates}, escalate_when_overdue=True
        ).values_list("pk", flat=True)
    )
    candidates = [c for c in candidates if c.category_id in ruled]
    below_top = set(
        Organisation.objects.filter(pk__in={c.owner_id for c in candidates}, parent__isnull=False)
        .exclude(kind__in=services.TOP_KINDS)
        .values_list("pk", flat=True)
    )
    return [c.id for c in candidates if c.owner_id in below_top]


def _perform_each(ids: Iterable[int], code: str) -> tuple[int, int]:
    """Make the move on each case as the system; return (done, refused)."""
    done = refused = 0
    note = SYSTEM_NOTE_ESCALATE if code == "escalate" else ""
    for pk in ids:
        try:
            services.perform(pk, code, actor=None, system=True, note=note)
        except CaseError as exc:  # the case changed since it was picked: leave it be
            refused += 1
            log.warning("deadline sweep: %s on case %s refused: %s", code, pk, exc.message)
        except Exception:  # one broken case must not hold up every other one, run after run
            refused += 1  # (perform's savepoint has undone its part; the rest stands)
            log.exception("deadline sweep: %s on case %s failed", code, pk)
        else:
            done += 1
    return done, refused
