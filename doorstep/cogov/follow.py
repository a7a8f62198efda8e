"""What a confirmed match becomes, and how it follows.

Once the unit's liaison has taken a match on (认领), it is carried out as a case (staff
file it for the community, with a deadline: the case's own 时限) or as an activity (the
unit's liaison publishes it in the need's area, ending by the deadline); a project points
at its match itself (`projects.propose(match=…)`). The case and the activity live in lower
domains, which tell what happened through their append-only logs: `follow_cases` reads
the case events (a closure completes the match and meets the need; a closed case reopened
from a return visit puts the need back on the list) and `follow_activities` the attendance
events (the first volunteer's check-out means the activity was held: the match is done).
Both are idempotent consumers (`core.events.consume`), never signals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.core import audit
from doorstep.core.events import consume

from .errors import CogovError, Conflict, NotAllowed
from .matching import finish, may_confirm, may_match
from .models import Match, MatchStatus, Need, NeedStatus

CASE_CONSUMER = "cogov.match_cases"
ACTIVITY_CONSUMER = "cogov.match_activities"
CLOSING_MOVES = ("rate", "verify_close", "expire_rating")
MAX_DAYS = 366  # a deadline at most a year ahead


def _deadline(value: Any) -> dt.date:
    from .services import day

    due = day(value, "deadline", "完成期限")
    today = timezone.localdate()
    if due is None:
        raise CogovError("请填写完成期限", "deadline")
    if due < today:
        raise CogovError("完成期限不能早于今天", "deadline")
    if (due - today).days > MAX_DAYS:
        raise CogovError("完成期限最长一年", "deadline")
    return due


def _confirmed(match: Match) -> Match:
    locked = (
        Match.objects.select_for_update(of=("self",))
        .select_related("need__node", "need__building", "resource__provider")
        .get(pk=match.pk)
    )
    if locked.status != MatchStatus.CONFIRMED:
        raise Conflict("只有已认领的对接可以转为工单或活动")
    if locked.case_id or locked.activity_id or locked.projects.exists():
        raise Conflict("该对接已转为工单、活动或项目")
    return locked


def _summary(match: Match) -> str:
    amount = f"{match.amount.normalize()}{match.resource.get_unit_display()}"
    return (
        f"供需对接：{match.need.title}（{match.need.node.name}）"
        f"由{match.resource.provider.name}提供“{match.resource.title}”{amount}。"
    )


@transaction.atomic
def as_case(*, actor: Actor, match: Match, category: Any, deadline: Any, note: Any = "") -> Any:
    """Staff file the match as a case for the need's community, due by the deadline."""
    from .services import file_case, text

    if not may_match(actor, match.need):
        raise NotAllowed("您不能为该对接转办工单")
    if category is None:
        raise CogovError("请选择工单分类", "category")
    due = _deadline(deadline)
    extra = text(note, "note", "补充说明", 500, required=False)
    locked = _confirmed(match)
    need = locked.need
    case = file_case(
        actor=actor,
        category=category,
        description=_summary(locked) + (f"\n{extra}" if extra else ""),
        node=need.node,
        building=need.building,
        title=f"供需对接：{need.title}"[:120],
        # filed by staff who receive the community's cases: accepted at once, its clock
        # running to the deadline agreed with the unit
        accepted=True,
        due_at=timezone.make_aware(dt.datetime.combine(due, dt.time(23, 59))),
    )
    locked.case = case
    locked.save(update_fields=["case"])
    audit.record(actor=actor, action="update", target=locked, detail={"case": case.number})
    return case


@transaction.atomic
def as_activity(
    *, actor: Actor, match: Match, starts_at: Any, ends_at: Any, address: Any, capacity: Any
) -> Any:
    """The unit's liaison publishes the match as an activity in the need's area."""
    from doorstep.nearby.activities import services as activities

    from .services import text, whole

    if not may_confirm(actor, match.resource):
        raise NotAllowed("只有提供单位的联络员可以把对接办成活动")
    start, end = (
        _moment(starts_at, "starts_at", "开始时间"),
        _moment(ends_at, "ends_at", "结束时间"),
    )
    if end <= start:
        raise CogovError("结束时间应晚于开始时间", "ends_at")
    locked = _confirmed(match)
    need = locked.need
    try:
        activity = activities.publish(
            actor=actor,
            title=f"{locked.resource.title} · {need.title}"[:60],
            kind="volunteer",
            organiser=locked.resource.provider,
            territory=need.node,
            address=text(address, "address", "活动地点", 100),
            starts_at=start,
            ends_at=end,
            capacity=whole(capacity, "capacity", "名额", default=20, low=1, high=10_000),
            description=_summary(locked),
        )
    except activities.ActivityError as exc:
        raise CogovError(exc.message, exc.field) from exc
    locked.activity = activity
    locked.save(update_fields=["activity"])
    audit.record(actor=actor, action="update", target=locked, detail={"activity": activity.pk})
    return activity


def _moment(value: Any, field: str, label: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        raw = str(value or "").strip()
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise CogovError(f"请填写{label}", field) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment < timezone.now() - dt.timedelta(minutes=5):
        raise CogovError(f"{label}不能早于现在", field)
    if moment > timezone.now() + dt.timedelta(days=MAX_DAYS):
        raise CogovError(f"{label}最晚在一年内", field)
    return moment


# ------------------------------------------------------------------ consumers


def follow_cases() -> int:
    """Move the matches whose cases were closed (or reopened after closing)."""
    from doorstep.cases.models import CaseEvent

    relevant = CaseEvent.objects.filter(move__in=(*CLOSING_MOVES, "reopen_closed"))
    return consume(CASE_CONSUMER, relevant.select_related("case"), follow_case_event)


def follow_case_event(event: Any) -> None:
    match = Match.objects.select_for_update().filter(case_id=event.case_id).first()
    if match is None:
        return
    if event.move == "reopen_closed" and match.status == MatchStatus.DONE:
        # Found unsolved on a return visit: the match is live again, the need back on.
        match.status, match.done_at = MatchStatus.CONFIRMED, None
        match.save(update_fields=["status", "done_at"])
        need = Need.objects.select_for_update().get(pk=match.need_id)
        if need.status == NeedStatus.MET:
            need.status, need.met_at = NeedStatus.MATCHED, None
            need.save(update_fields=["status", "met_at"])
        audit.record(actor=None, action="update", target=match, detail={"status": "confirmed"})
        return
    if event.to_status == "closed" and match.status == MatchStatus.CONFIRMED:
        finish(match, actor=None)


def follow_activities() -> int:
    """Complete the matches whose activities were held (a volunteer checked out)."""
    from doorstep.nearby.activities.models import AttendanceEvent

    relevant = AttendanceEvent.objects.filter(kind=AttendanceEvent.Kind.CHECKED_OUT)
    return consume(ACTIVITY_CONSUMER, relevant.select_related("signup"), follow_check_out)


def follow_check_out(event: Any) -> None:
    match = (
        Match.objects.select_for_update()
        .filter(activity_id=event.signup.activity_id, status=MatchStatus.CONFIRMED)
        .first()
    )
    if match is not None:
        finish(match, actor=None)
