"""参与式: residents' proposals for their community (居民提议) and their support (one vote a
resident); staff adopt one as a participatory project or decline it with a reason
(`cogov/proposals.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet, prefixes


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("征集支持中")
    ADOPTED = "adopted", _("已立为项目")
    DECLINED = "declined", _("未采纳")


class ProposalQuerySet(ScopedQuerySet["Proposal"]):
    """Staff see the proposals of their subtree (permission view_project); a resident sees
    those of the community they live in."""

    scope_paths = ("path",)
    permissions = {"view": "cogov.view_project", "change": "cogov.add_project"}

    def always(self, user: Any) -> Q | None:
        from doorstep.atlas.people.models import Resident

        homes = Resident.objects.filter(user=user).values_list("grid__path", flat=True)
        paths = {p for home in homes if home for p in prefixes(home)}
        return Q(path__in=sorted(paths)) if paths else None


class Proposal(models.Model):
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("提议"), max_length=60)
    summary = models.CharField(_("说明"), max_length=1000, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    reason = models.CharField(_("未采纳原因"), max_length=200, blank=True)
    project = models.OneToOneField(
        "cogov.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )
    votes = models.PositiveIntegerField(_("支持人数"), default=0)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民提议")
        verbose_name_plural = _("居民提议")
        ordering = ["-votes", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ProposalVote(models.Model):
    """One resident's support of one proposal (counted into `Proposal.votes` in the same
    transaction, under the proposal's row lock)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supporters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("支持")
        verbose_name_plural = _("支持")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="one_vote_per_resident"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} · {self.user_id}"
