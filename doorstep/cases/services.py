"""Filing cases and making moves on them: the one door every change goes through.

`perform(case, "dispatch", actor=actor, ...)` locks the case (SELECT … FOR UPDATE on PostgreSQL;
SQLite's write transactions are already serial), checks the move against workflow.py for
this actor, applies it (moves.py), saves with a compare-and-set on `version` that must
change exactly one row, appends a `CaseEvent`, adds to the rollups, and leaves
notifications to be sent after commit. Anything wrong raises `CaseError` and nothing is
written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.accounts.typing import Actor, Viewer
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core import events
from doorstep.core.search import search_text_for
from doorstep.inbox.services import notify

from . import rollups, tally, tracking
from .calendar import WorkCalendar
from .deadlines import flag_for, start_clock
from .errors import CaseError, Conflict, NotAllowed
from .locating import Location
from .models import (
    ACTIVE_ASSIGNMENT,
    AssignmentRole,
    AssignmentState,
    Case,
    CaseEvent,
    CaseKind,
    Category,
    ExtensionState,
    Source,
    Summons,
)
from .photos import check_photos, files_undone_on_error, save_photos
from .scoping import handler_org_ids, org_handler_ids, pool_paths
from .workflow import MOVES_BY_CODE, OPEN, Facts, Move, R, S, available, why_not

TOP_KINDS = frozenset({Kind.STREET, Kind.DISTRICT})
# Fields a move may change (saved by the compare-and-set update).
MUTABLE = (
    "status",
    "flag",
    "urgency",
    "owner_id",
    "owner_path",
    "due_at",
    "warn_at",
    "limit_unit",
    "paused_at",
    "submitted_at",
    "accepted_at",
    "responded_at",
    "resolved_at",
    "closed_at",
    "archived_at",
    "resolved_on_time",
    "resolution",
    "rating",
    "solved",
    "rating_comment",
    "rated_at",
    "rating_expired",
    "reopen_count",
    "merged_into_id",
    "rating_due_at",
)


@dataclass
class Ctx:
    """What a move's handler works with, and what it leaves for the event."""

    case: Case
    actor: Actor | None  # None: the system (the deadline sweep)
    move: Move
    now: dt.datetime
    note: str
    params: dict[str, Any]
    cal: WorkCalendar
    data: dict[str, Any] = field(default_factory=dict)
    to_status: str | None = None  # a handler may pick the target of a two-way move
    notify_users: set[int] = field(default_factory=set)
    notice: str = ""


# ---------------------------------------------------------------- facts about actor and case


def _perms(user: Viewer | None) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return frozenset(p for p in user.get_all_permissions() if p.startswith("cases."))


# For each guard, the statuses from which some move checks it.
_GUARD_STATUSES: dict[str, set[str]] = {}
for _move in MOVES_BY_CODE.values():
    for _guard in _move.guards:
        _GUARD_STATUSES.setdefault(_guard.lstrip("!"), set()).update(_move.sources)
_GUARD_STATUSES["owner_is_top"] |= _GUARD_STATUSES.get("owner_under_top", set())


def _asks(flag: str, status: str) -> bool:
    return status in _GUARD_STATUSES.get(flag, ())


def facts_for(case: Case, user: Viewer | None, *, system: bool = False) -> Facts:
    rel: set[str] = set()
    flags: set[str] = set()
    summons = list(
        Summons.objects.filter(whistle__case=case).values_list(
            "department_id", "reported_at", "score"
        )
    )
    if system:
        rel.add(R.SYSTEM)
    authed = getattr(user, "is_authenticated", False)
    orgs = handler_org_ids(user) if authed else frozenset()
    scope = scope_of(user)
    if user is not None and authed:
        if case.reporter_id == user.pk:
            rel.add(R.REPORTER)
        if any(case.owner_path.startswith(p) for p in scope.paths) or (
            case.owner_id in scope.node_ids
        ):
            rel.add(R.OWNER)
        if any(case.territory_path.startswith(p) for p in scope.paths):
            rel.add(R.TERRITORY)
        for a in case.assignments.all():
            if a.state not in ACTIVE_ASSIGNMENT:
                continue
            if a.via == "claim":
                flags.add("claimed")
            mine = a.user_id == user.pk or (a.organisation_id in orgs and a.user_id is None)
            if not mine:
                continue
            rel.add(R.ASSIGNEE)
            if a.role == AssignmentRole.LEAD:
                flags.add("holds_lead")
                if a.state == AssignmentState.SIGNED:
                    rel.add(R.LEAD)
                else:
                    flags.add("pending_lead")
            elif a.state == AssignmentState.PENDING:
                flags.add("pending_co")
            if a.via == "claim" and a.user_id == user.pk:
                rel.add(R.CLAIMER)
        if case.status == S.POOL and any(
            case.territory_path.startswith(p) for p in pool_paths(user)
        ):
            rel.add(R.POOL)
        for department_id, reported_at, _score in summons:
            if department_id in orgs and reported_at is None:
                rel.add(R.SUMMONED)
        if R.REPORTER in rel or (case.reporter_id is None and R.OWNER in rel):
            rel.add(R.RATER)
    if case.kind != CaseKind.PATROL and (case.reporter_id or case.contact_phone):
        flags.add("has_rater")
    # Flags that cost a query are worked out only where a move from this status asks.
    if _asks("pending_extension", case.status) and (
        case.extensions.filter(state=ExtensionState.PENDING).exists()
    ):
        flags.add("pending_extension")
    owner = case.owner
    if _asks("owner_is_top", case.status):
        if owner.kind in TOP_KINDS or owner.parent_id is None:
            flags.add("owner_is_top")
        elif owner.parent is not None and (
            owner.parent.kind in TOP_KINDS or owner.parent.parent_id is None
        ):
            flags.add("owner_under_top")
    if any(score is None for _d, _r, score in summons):
        flags.add("unevaluated_summons")
    return Facts(case.status, _perms(user), frozenset(rel), frozenset(flags))


def moves_for(case: Case, user: Viewer) -> list[Move]:
    """The moves this user may make on this case now (what the page offers)."""
    return available(facts_for(case, user))


# ---------------------------------------------------------------- filing


def _tracking_number(now: dt.datetime) -> str:
    local = timezone.localtime(now)
    return f"{settings.DISTRICT_CODE}{local:%y%m%d}{secrets.randbelow(10**7):07d}"


def community_of(org: Organisation) -> Organisation:
    """The community a grid (or anything under it) belongs to; the org itself above that."""
    if org.kind == Kind.COMMUNITY:
        return org
    if org.kind == Kind.GRID and Organisation.parent.is_cached(org):  # type: ignore[attr-defined]
        parent = org.parent
        if parent is not None and parent.kind == Kind.COMMUNITY:
            return parent
    ids = [int(x) for x in org.path.strip("/").split("/") if x]
    found = (
        Organisation.objects.filter(pk__in=ids, kind=Kind.COMMUNITY)
        .select_related("parent")  # the case's owner: facts_for looks one level up
        .first()
    )
    return found or org


def top_of(org: Organisation) -> Organisation:
    """The street (or the highest administrative unit) above an organisation."""
    ids = [int(x) for x in org.path.strip("/").split("/") if x]
    ancestors = list(Organisation.objects.filter(pk__in=ids).order_by("depth"))
    for a in ancestors:
        if a.kind == Kind.STREET:
            return a
    return ancestors[0] if ancestors else org


def create_case(
    *,
    actor: Actor | None,
    category: Category,
    description: str,
    location: Location,
    kind: str = CaseKind.REQUEST,
    source: str = Source.WEB,
    title: str = "",
    urgency: str | None = None,
    anonymous: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    photos: Sequence[Any] = (),
    draft: bool = False,
    accepted: bool = False,
    external_no: str | None = None,
    due_at: dt.datetime | None = None,
    created_at: dt.datetime | None = None,
    owner: Organisation | None = None,
) -> Case:
    """File a case. `location` has been resolved to a territory (locating.py).

    A patrol report starts as a draft owned by the grid; a resident's request is submitted
    to the community at once; a hotline order arrives already accepted.
    """
    description = (description or "").strip()
    if _has_nul([description, title, contact_name, contact_phone, location.address]):
        raise CaseError("提交的内容含有非法字符", "description")
    if not description:
        raise CaseError("请填写诉求内容", "description")
    if len(description) > 5000:
        raise CaseError("诉求内容过长（最多5000字）", "description")
    if not category.active:
        raise CaseError("该分类已停用", "category")
    has_children = getattr(category, "has_children", None)  # annotated by callers that can
    if has_children if has_children is not None else category.children.exists():
        raise CaseError("请选择最末一级分类", "category")
    check_photos(photos)
    now = timezone.now()
    created = created_at or now
    territory = location.territory
    if kind == CaseKind.PATROL and getattr(actor, "is_authenticated", False):
        scope = scope_of(actor)
        if not scope.covers(territory.path):
            raise NotAllowed("只能上报本人负责网格内发现的问题", "building")
    if owner is None:
        owner = territory if (draft and territory.kind == Kind.GRID) else community_of(territory)
    case = Case(
        kind=kind,
        source=source,
        category=category,
        title=(title or description[:30]).strip()[:120],
        description=description,
        urgency=urgency or category.urgency,
        status=S.DRAFT if draft else (S.ACCEPTED if accepted else S.SUBMITTED),
        territory=territory,
        territory_path=territory.path,
        owner=owner,
        owner_path=owner.path,
        building=location.building,
        address=location.address[:200],
        lat=location.lat,
        lon=location.lon,
        reporter=actor if getattr(actor, "is_authenticated", False) else None,
        anonymous=anonymous,
        contact_name=contact_name.strip()[:64],
        contact_phone=contact_phone,
        contact_phone_last4=contact_phone[-4:] if contact_phone else "",
        external_no=external_no,
        token=secrets.token_hex(12),
        created_at=created,
        submitted_at=None if draft else created,
    )
    case.search_text = search_text_for(case.title, location.address, body=description)
    data: dict[str, Any] = {"kind": kind, "source": source}
    with files_undone_on_error() as saved, transaction.atomic():
        if accepted:
            cal = WorkCalendar.load()  # only an accepted case starts its clock now
            case.accepted_at = created
            start_clock(case, created, cal)
            if due_at is not None:
                case.due_at = due_at
                case.warn_at = min(case.warn_at or due_at, due_at)
            case.flag = flag_for(case, now)
            data["received"] = True
        case.tally = tally.step({}, "create", case.status, data, created)
        for _attempt in range(5):
            case.number = _tracking_number(created)
            case.code = tracking.new_code()
            try:
                with transaction.atomic():
                    case.save()
                break
            except IntegrityError:
                if (
                    external_no
                    and Case.objects.filter(source=source, external_no=external_no).exists()
                ):
                    raise Conflict(f"外部编号 {external_no} 已导入过") from None
                continue
        else:  # pragma: no cover - ten million numbers a day make this vanishingly rare
            raise CaseError("生成工单编号失败，请重试")
        event = CaseEvent.objects.create(
            case=case,
            seq=1,
            move="create",
            from_status="",
            to_status=case.status,
            actor=case.reporter,
            actor_name=_name(actor),
            data=data,
            at=created,
        )
        save_photos(case, event, photos, actor, saved)
        rollups.record(case.territory_path, {}, case.tally, case.category_id)
        if case.status == S.SUBMITTED:
            notify(
                staff_of(case.owner, "cases.receive_case"),
                kind="case_new",
                title=f"新诉求待受理：{case.title}",
                body=f"工单 {case.number}（{category.name}）",
                url=f"/cases/{case.number}/",
            )
    return case


def _name(actor: Actor | None) -> str:
    if not getattr(actor, "is_authenticated", False):
        return "系统"
    return str(actor)[:64]


def staff_of(org: Organisation, permission: str | None = None) -> list[int]:
    """Active users holding a role at this organisation (with the permission, if given),
    in one statement: a community's members include its residents, so asking each
    member's has_perm() in turn would cost two queries per resident."""
    from doorstep.accounts.queries import members_with_permission

    return members_with_permission(org.pk, permission)


def handler_user_ids(case: Case) -> set[int]:
    """Everyone who holds the case now: assigned people and the staff of assigned units."""
    ids: set[int] = set()
    for a in case.assignments.filter(state__in=ACTIVE_ASSIGNMENT):
        if a.user_id:
            ids.add(a.user_id)
        elif a.organisation_id is not None:
            ids.update(org_handler_ids(a.organisation_id))
    return ids


# ---------------------------------------------------------------- moves


def _lock(case_id: int) -> Case:
    qs = Case.objects.select_related("owner", "owner__parent", "category")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=case_id)
    except Case.DoesNotExist:
        raise CaseError("工单不存在") from None


def perform(
    case: Case | int,
    code: str,
    *,
    actor: Actor | None,
    note: str = "",
    expected_version: int | None = None,
    system: bool = False,
    photos: Sequence[Any] = (),
    **params: Any,
) -> Case:
    """Make one move. Returns the case as saved. Raises CaseError (nothing written)."""
    from .moves import HANDLERS

    move = MOVES_BY_CODE.get(code)
    if move is None:
        raise CaseError(f"未知操作：{code}")
    note = (note or "").strip()
    if len(note) > 2000:
        raise CaseError("说明过长（最多2000字）", "note")
    if _has_nul(note):
        raise CaseError("说明含有非法字符", "note")
    if _has_nul(params):
        raise CaseError("提交的内容含有非法字符")
    check_photos(photos)
    case_id = case if isinstance(case, int) else case.pk
    with files_undone_on_error() as saved, transaction.atomic():
        locked = _lock(case_id)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict("该工单已被他人处理，请刷新后重试")
        if code == "claim" and locked.status != S.POOL:
            # The 49 who lost a race queue on the row lock: let each go at once.
            raise Conflict("手慢了，该工单已被他人接单")
        facts = facts_for(locked, actor, system=system)
        reason = why_not(move, facts)
        if reason:
            if code == "claim" and locked.status != S.POOL:
                raise Conflict("手慢了，该工单已被他人接单")
            if facts.status not in move.sources:
                raise Conflict(reason)
            raise NotAllowed(reason)
        if move.needs_note and not note:
            raise CaseError(f"请填写{move.label}的说明", "note")
        if move.photos == "required" and not photos:
            raise CaseError(f"{move.label}须上传现场照片", "photos")
        now = timezone.now()
        ctx = Ctx(locked, actor, move, now, note, params, WorkCalendar.load())
        from_status = locked.status
        old_version = locked.version
        HANDLERS.get(code, _noop)(ctx)
        locked.status = ctx.to_status or move.to(from_status)
        locked.flag = flag_for(locked, now)
        counted = tally.step(locked.tally or {}, code, locked.status, ctx.data, now)
        changes = {f: getattr(locked, f) for f in MUTABLE}
        changes["tally"] = counted
        changes["version"] = old_version + 1
        changes["updated_at"] = now
        if Case.objects.filter(pk=locked.pk, version=old_version).update(**changes) != 1:
            raise Conflict("该工单已被他人处理，请刷新后重试")
        locked.version = old_version + 1
        event = CaseEvent.objects.create(
            case=locked,
            seq=locked.version,
            move=code,
            from_status=from_status,
            to_status=locked.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_name=_name(actor),
            note=note,
            data=ctx.data,
            at=now,
        )
        save_photos(locked, event, photos, actor, saved)
        events.kick("cases")  # consumers above (service.credits) read the event after commit
        rollups.record(locked.territory_path, locked.tally or {}, counted, locked.category_id)
        locked.tally = counted
        if ctx.notify_users:
            notify(
                ctx.notify_users - ({actor.pk} if actor is not None and actor.pk else set()),
                kind=f"case_{code}",
                title=ctx.notice or f"工单{move.label}：{locked.title}",
                body=f"工单 {locked.number}：{move.label}" + (f"。{note}" if note else ""),
                url=f"/cases/{locked.number}/",
            )
    return locked


def _has_nul(value: Any) -> bool:
    """NUL in any text: PostgreSQL refuses it in a text column (a 500, not a message)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_nul(v) for v in value)
    return False


def _noop(ctx: Ctx) -> None:
    return None


def is_open(case: Case) -> bool:
    return case.status in OPEN
