"""Meetings (议事会议): a council's 议事圆桌会, 花园议事吧, 茶馆微治 — or an online
consultation over a period — with an agenda of topics, invitations to the members in
force, sign-in (a QR code, or staff from the paper sheet) against the quorum, a decision
per topic (a council vote when one is taken), minutes signed off by the chair, and
attachments (`deliberation/meetings.py` writes them)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

from .topics import neighbourhood


class MeetingFormat(models.TextChoices):
    ROUNDTABLE = "roundtable", _("议事圆桌会")
    GARDEN = "garden", _("花园议事吧")
    TEAHOUSE = "teahouse", _("茶馆微治")
    ONLINE = "online", _("线上协商")


class Outcome(models.TextChoices):
    ADOPTED = "adopted", _("通过")
    REJECTED = "rejected", _("未通过")
    DEFERRED = "deferred", _("暂缓，继续协商")


class MeetingQuerySet(ScopedQuerySet["Meeting"]):
    """Staff see the meetings of their subtree and of the community above their grid; a
    resident sees those of the community they live in (the minutes are public there); a
    council member sees the meetings they are invited to."""

    scope_paths = ("path",)
    joins_many = True

    def always(self, user: Any) -> Q | None:
        invited = Q(invitations__member__user=user)
        near = neighbourhood(user, "deliberation.view_meeting")
        return invited if near is None else invited | near


def _token() -> str:
    return secrets.token_urlsafe(16)


class Meeting(models.Model):
    council = models.ForeignKey(
        "deliberation.Council",
        verbose_name=_("议事会"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("会议名称"), max_length=60)
    format = models.CharField(
        _("形式"), max_length=12, choices=MeetingFormat.choices, default=MeetingFormat.ROUNDTABLE
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    token = models.CharField(max_length=32, default=_token, editable=False)
    minutes = models.TextField(_("会议纪要"), max_length=5000, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("议事会议")
        verbose_name_plural = _("议事会议")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    """A topic on the agenda, and what the meeting decided on it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.PROTECT, related_name="agenda_items"
    )
    order = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, blank=True, default=""
    )
    decision = models.CharField(_("协商意见"), max_length=1000, blank=True)
    # A council vote, when one was taken (one seat, one vote; the rule is the council's).
    votes_yes = models.PositiveSmallIntegerField(null=True, blank=True)
    votes_no = models.PositiveSmallIntegerField(null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["meeting_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "topic"], name="topic_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.order}"


class Invitation(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        "deliberation.CouncilMember", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("会议邀请")
        verbose_name_plural = _("会议邀请")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="invited_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id}"


class SignIn(models.Model):
    """A member present (signed in by the QR code, or by staff from the paper sheet), or
    taking part in an online consultation."""

    class Method(models.TextChoices):
        QR = "qr", _("扫码签到")
        STAFF = "staff", _("工作人员代签")
        ONLINE = "online", _("线上参与")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="sign_ins")
    member = models.ForeignKey(
        "deliberation.CouncilMember", on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(max_length=8, choices=Method.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["meeting_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="signed_in_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id}"


class Opinion(models.Model):
    """A member's opinion on an agenda item in an online consultation."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="opinions")
    member = models.ForeignKey(
        "deliberation.CouncilMember", on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("意见"), max_length=1000)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("协商意见")
        verbose_name_plural = _("协商意见")
        ordering = ["item_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.member_id}"


def _attachment_path(instance: Any, filename: str) -> str:
    return f"meetings/{instance.meeting_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class Attachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("附件名称"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.name
