"""Service records: from closed cases and volunteer check-outs (verified at once), and
self-reports with evidence (pending until a staff member approves). Approving is a
compare-and-set on the record's version: of two staff approving at once, one wins."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.accounts.typing import Actor, Viewer

from . import ledger
from .errors import Conflict, Denied, ServiceError
from .models import (
    EditStatus,
    RecordEdit,
    RecordSource,
    RecordStatus,
    RuleCode,
    ServiceRecord,
)

MAX_HOURS = Decimal("12")  # one record covers one day's service at most
REPORT_WITHIN = dt.timedelta(days=366)
EVIDENCE_TYPES = (".jpg", ".jpeg", ".png", ".webp", ".pdf")
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


def _hours(start: dt.datetime, end: dt.datetime) -> Decimal:
    seconds = Decimal((end - start).total_seconds())
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def case_hours(case: Any) -> Decimal:
    table = getattr(settings, "SERVICE_HOURS_PER_CASE", {})
    return Decimal(str(table.get(case.kind, table.get("default", "1.0"))))


def may_approve(user: Viewer, record: ServiceRecord) -> bool:
    return user.has_perm("service.approve_servicerecord") and scope_of(user).covers(
        record.organisation_path
    )


def from_case(case: Any, *, user: Actor, closed_at: dt.datetime, seq: int) -> ServiceRecord | None:
    """The verified hours of the person who handled a case to its closure (once)."""
    hours = case_hours(case)
    if hours <= 0:
        return None
    end = closed_at
    start = end - dt.timedelta(seconds=float(hours) * 3600)
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                user=user,
                organisation=case.territory,
                source=RecordSource.CASE,
                case=case,
                started_at=start,
                ended_at=end,
                hours=hours,
                description=f"接单办结：{case.title}"[:500],
                status=RecordStatus.VERIFIED,
                decided_at=closed_at,
            )
    except IntegrityError:
        return None  # this case already counts for this person
    return record


def from_activity(signup: Any) -> ServiceRecord | None:
    """Verified hours of a volunteer checked in and out of an activity (inside its time)."""
    activity = signup.activity
    start = max(signup.checked_in_at, activity.starts_at)
    end = min(signup.checked_out_at, activity.ends_at)
    if end <= start:
        return None
    try:
        with transaction.atomic():
            return ServiceRecord.objects.create(
                user=signup.user,
                organisation=activity.territory,
                source=RecordSource.ACTIVITY,
                activity=activity,
                started_at=start,
                ended_at=end,
                hours=min(_hours(start, end), MAX_HOURS),
                description=f"活动志愿服务：{activity.title}"[:500],
                status=RecordStatus.VERIFIED,
                decided_at=end,
            )
    except IntegrityError:
        return None


def _check_evidence(evidence: Any, note: str) -> None:
    if evidence is None:
        raise ServiceError("请上传佐证材料（照片或PDF）", "evidence")
    name = (getattr(evidence, "name", "") or "").lower()
    if not name.endswith(EVIDENCE_TYPES):
        raise ServiceError("佐证材料须为照片（jpg、png、webp）或PDF", "evidence")
    if getattr(evidence, "size", 0) > EVIDENCE_MAX_BYTES:
        raise ServiceError("佐证材料不超过5MB", "evidence")
    if getattr(evidence, "size", 0) == 0:
        raise ServiceError("佐证材料是空文件", "evidence")
    if "\x00" in note:
        raise ServiceError("佐证说明含有无效字符", "evidence_note")


def self_report(
    *,
    user: Actor,
    organisation: Any,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    description: str,
    evidence: Any,
    evidence_note: str = "",
) -> ServiceRecord:
    """A record the person submits themselves: pending until approved."""
    description = (description or "").strip()
    if not description or "\x00" in description:
        raise ServiceError("请填写服务内容", "description")
    if len(description) > 500:
        raise ServiceError("服务内容不超过500字", "description")
    if ended_at <= started_at:
        raise ServiceError("结束时间必须晚于开始时间", "ended_at")
    if ended_at > timezone.now():
        raise ServiceError("不能申报尚未结束的服务", "ended_at")
    if started_at < timezone.now() - REPORT_WITHIN:
        raise ServiceError("只能申报一年以内的服务", "started_at")
    hours = _hours(started_at, ended_at)
    if hours > MAX_HOURS:
        raise ServiceError(f"单次申报不超过{MAX_HOURS:g}小时", "ended_at")
    if hours < Decimal("0.1"):
        raise ServiceError("服务时长太短", "ended_at")
    _check_evidence(evidence, evidence_note)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One report of a person at a time, so two submits cannot both pass the
            # overlap check (SQLite's write transactions are serial already).
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        overlap = ServiceRecord.objects.filter(
            user=user,
            status__in=(RecordStatus.PENDING, RecordStatus.VERIFIED),
            started_at__lt=ended_at,
            ended_at__gt=started_at,
        ).first()
        if overlap is not None:
            raise Conflict(
                f"与已有的服务记录时间重叠（{timezone.localtime(overlap.started_at):%m-%d %H:%M}）",
                "started_at",
            )
        return ServiceRecord.objects.create(
            user=user,
            organisation=organisation,
            source=RecordSource.SELF,
            started_at=started_at,
            ended_at=ended_at,
            hours=hours,
            description=description,
            evidence=evidence,
            evidence_note=evidence_note.strip()[:300],
            status=RecordStatus.PENDING,
        )


def _decide(record: ServiceRecord, actor: Actor, status: str, reason: str = "") -> ServiceRecord:
    if not may_approve(actor, record):
        raise Denied("您无权审核该服务记录")
    if record.user_id == actor.pk:
        raise Denied("不能审核本人的服务记录")
    now = timezone.now()
    with transaction.atomic():
        changed = ServiceRecord.objects.filter(
            pk=record.pk, status=RecordStatus.PENDING, version=record.version
        ).update(
            status=status,
            decided_by=actor,
            decided_at=now,
            decline_reason=reason,
            version=record.version + 1,
        )
        if changed != 1:
            raise Conflict("该记录已被他人审核，请刷新")
        record.refresh_from_db()
        if status == RecordStatus.VERIFIED:
            ledger.grant(
                user=record.user,
                code=RuleCode.SERVICE_HOURS,
                source=f"record:{record.pk}:v{record.version}",
                organisation=record.organisation,
                units=record.hours,
                actor=actor,
            )
    return record


def approve(record: ServiceRecord, *, actor: Actor) -> ServiceRecord:
    return _decide(record, actor, RecordStatus.VERIFIED)


def reject(record: ServiceRecord, *, actor: Actor, reason: str) -> ServiceRecord:
    reason = (reason or "").strip()
    if not reason or "\x00" in reason or len(reason) > 200:
        raise ServiceError("请填写未通过的原因（不超过200字）", "reason")
    return _decide(record, actor, RecordStatus.REJECTED, reason)


def propose_edit(
    record: ServiceRecord, *, actor: Actor, hours: Decimal, description: str, reason: str
) -> RecordEdit:
    """Ask to change a verified record; a second staff member must agree."""
    if not may_approve(actor, record):
        raise Denied("您无权修改该服务记录")
    if record.status != RecordStatus.VERIFIED:
        raise Conflict("只有已认定的记录需要复核修改；待审核的记录请直接审核")
    if not (Decimal("0") < hours <= MAX_HOURS):
        raise ServiceError(f"时长应在0到{MAX_HOURS:g}小时之间", "hours")
    reason = (reason or "").strip()
    description = (description or record.description).strip()
    if not reason or "\x00" in reason + description or len(reason) > 200:
        raise ServiceError("请填写修改原因（不超过200字）", "reason")
    try:
        with transaction.atomic():
            return RecordEdit.objects.create(
                record=record,
                old_hours=record.hours,
                new_hours=hours,
                old_description=record.description,
                new_description=description[:500],
                reason=reason,
                status=EditStatus.PROPOSED,
                proposed_by=actor,
            )
    except IntegrityError:
        raise Conflict("该记录已有待复核的修改") from None


def decide_edit(edit: RecordEdit, *, actor: Actor, agree: bool) -> RecordEdit:
    """The second person agrees (the change applies, points follow) or refuses."""
    record = edit.record
    if not may_approve(actor, record):
        raise Denied("您无权复核该修改")
    if actor.pk == edit.proposed_by_id:
        raise Denied("修改须由另一名工作人员复核")
    now = timezone.now()
    with transaction.atomic():
        status = EditStatus.APPLIED if agree else EditStatus.REFUSED
        if (
            RecordEdit.objects.filter(pk=edit.pk, status=EditStatus.PROPOSED).update(
                status=status, decided_by=actor, decided_at=now
            )
            != 1
        ):
            raise Conflict("该修改已被复核")
        if agree:
            changed = ServiceRecord.objects.filter(
                pk=record.pk, version=record.version, status=RecordStatus.VERIFIED
            ).update(
                hours=edit.new_hours,
                description=edit.new_description,
                version=record.version + 1,
            )
            if changed != 1:
                raise Conflict("记录已变化，请刷新后重试")
            if record.source == RecordSource.SELF:
                ledger.reverse_source(f"record:{record.pk}:", actor=actor, note="服务时长修改")
                record.refresh_from_db()
                ledger.grant(
                    user=record.user,
                    code=RuleCode.SERVICE_HOURS,
                    source=f"record:{record.pk}:v{record.version}",
                    organisation=record.organisation,
                    units=record.hours,
                    actor=actor,
                )
        edit.refresh_from_db()
    return edit


def reverse_case(case: Any, *, actor: Actor | None = None) -> int:
    """A closed case reopened: its hours leave the verified ledger (kept, marked
    reversed) and the points are taken back with ledger lines."""
    with transaction.atomic():
        n = ServiceRecord.objects.filter(case=case, status=RecordStatus.VERIFIED).update(
            status=RecordStatus.REVERSED
        )
        ledger.reverse_source(f"case:{case.pk}:", actor=actor, note="工单重新办理，积分冲销")
    return n


def totals(user: Actor) -> dict[str, Decimal]:
    rows = ServiceRecord.objects.filter(user=user).aggregate(
        verified=Sum("hours", filter=Q(status=RecordStatus.VERIFIED)),
        pending=Sum("hours", filter=Q(status=RecordStatus.PENDING)),
    )
    # SQLite sums decimals as floats: back to hundredths.
    return {k: Decimal(str(v or 0)).quantize(Decimal("0.01")) for k, v in rows.items()}
